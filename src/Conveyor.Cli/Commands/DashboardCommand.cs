using System.CommandLine;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Dashboard;
using Conveyor.Cli.Kafka;
using Conveyor.Lag;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor dashboard</c>: the dashboard's pages for any group, from Kafka alone (lag per
/// partition, dead letters), served on 127.0.0.1 unless told otherwise, until Ctrl-C.
/// </summary>
internal static class DashboardCommand
{
    private const string LocalReplayPolicy = "conveyor-local-replay";

    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var groups = new Option<string[]>("--group", "-g") { Description = "Consumer group to show, repeatable", Arity = ArgumentArity.ZeroOrMore };
        var topics = new Option<string[]>("--topic", "-t")
        {
            Description = "Topic to show the groups' lag on, repeatable (default: the topics each group has committed offsets for)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var listen = new Option<string>("--listen")
        {
            Description = "Address and port to serve on; port 0 picks a free one. Anything but a loopback address exposes the dashboard to the network",
            HelpName = "host:port",
            DefaultValueFactory = _ => "127.0.0.1:5090",
        };
        var allowReplay = new Option<bool>("--allow-replay") { Description = "Show replay buttons on the dead letters pages (requests from this machine only)" };
        var command = new Command("dashboard", "Serve the Conveyor dashboard in the browser for any group: lag per partition and dead letters, from Kafka alone")
        {
            kafka.BootstrapServers, kafka.Properties, groups, topics, listen, allowReplay,
        };
        command.SetAction(async (context, cancellationToken) =>
        {
            var settings = kafka.GetSettings(context);
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
            var given = (context.Get(topics) ?? []).Distinct().ToList();
            foreach (var topic in given)
            {
                ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, "--topic");
            }

            var shown = new List<(string, IReadOnlyList<string>)>();
            foreach (var group in (context.Get(groups) ?? []).Distinct())
            {
                shown.Add((group, given.Count > 0 ? given : await CommittedTopicsAsync(settings, metadata, group, context).ConfigureAwait(false)));
            }

            using var source = new KafkaDashboardSource(settings, shown);
            var app = Build(source, context.Get(listen), context.Get(allowReplay));
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                await context.Output.WriteLineAsync($"conveyor dashboard for {settings.BootstrapServers} at {app.Urls.First().TrimEnd('/')}/ (Ctrl-C to stop)").ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    await context.Output.WriteLineAsync("conveyor dashboard stopped").ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static WebApplication Build(KafkaDashboardSource source, string listen, bool allowReplay)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{listen}");
        builder.Services.AddSingleton<IDashboardSource>(source);
        if (allowReplay)
        {
            builder.Services.AddAntiforgery();
            builder.Services.AddAuthorization(o => o.AddPolicy(LocalReplayPolicy, policy => policy.RequireAssertion(
                c => c.Resource is Microsoft.AspNetCore.Http.HttpContext { Connection.RemoteIpAddress: { } remote } && System.Net.IPAddress.IsLoopback(remote))));
        }

        var app = builder.Build();
        app.MapConveyorDashboard("/", options => options.ActionsPolicy = allowReplay ? LocalReplayPolicy : null);
        return app;
    }

    private static async Task<IReadOnlyList<string>> CommittedTopicsAsync(ClientSettings settings, Confluent.Kafka.Metadata metadata, string group, CommandContext context)
    {
        using var lag = new GroupLag(settings.Admin(), group, settings.LogTo(context.Errors));
        var topics = await lag.FindCommittedTopicsAsync(metadata).ConfigureAwait(false);
        if (topics.Count == 0)
        {
            await context.Errors.WriteLineAsync(
                $"warning: group {group} has no committed offsets on {settings.BootstrapServers}, so its lag cannot be shown: check --group, or name its topics with --topic").ConfigureAwait(false);
        }

        return topics;
    }
}
