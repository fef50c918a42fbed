using System.CommandLine;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Dashboard;
using Conveyor.Cli.Kafka;
using Conveyor.Fleet;
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
        }.MustBe(ListenAddress.IsValid, ListenAddress.Requirement);
        var allowReplay = new Option<bool>("--allow-replay", "--allow-actions")
        {
            Description = "Show replay buttons on the dead letters pages and command buttons on the fleet page (requests from this machine only)",
        };
        var statusTopic = new Option<string?>("--status-topic") { Description = "The fleet's status topic (Fleet.StatusTopic): the fleet page lists every instance of the groups that report there" };
        var controlTopic = new Option<string?>("--control-topic") { Description = "The fleet's control topic (Fleet.ControlTopic): with --allow-actions, the fleet page sends commands there" };
        var command = new Command("dashboard", "Serve the Conveyor dashboard in the browser for any group: lag per partition, dead letters and, with --status-topic, the fleet, from Kafka alone")
        {
            kafka.BootstrapServers, kafka.Properties, groups, topics, listen, allowReplay, statusTopic, controlTopic,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(controlTopic) is not null && result.GetValue(statusTopic) is null)
            {
                result.AddError("--control-topic needs --status-topic: the fleet page reads the instances from the status topic.");
            }
            else if (result.GetValue(statusTopic) is not null && (result.GetValue(groups) ?? []).Length == 0)
            {
                result.AddError("--status-topic needs --group: name the group (or groups) whose fleet to show.");
            }
        });
        command.SetAction(async (context, cancellationToken) =>
        {
            var settings = kafka.GetSettings(context);
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
            var given = (context.Get(topics) ?? []).Distinct().ToList();
            foreach (var topic in given)
            {
                ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, "--topic");
            }

            var fleet = FleetFrom(context.Get(statusTopic), context.Get(controlTopic));
            foreach (var (topic, option) in new[] { (fleet?.StatusTopic, "--status-topic"), (fleet?.ControlTopic, "--control-topic") })
            {
                if (topic is not null)
                {
                    ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, option);
                }
            }

            var shown = new List<(string, IReadOnlyList<string>)>();
            foreach (var group in (context.Get(groups) ?? []).Distinct())
            {
                shown.Add((group, given.Count > 0 ? given : await CommittedTopicsAsync(settings, metadata, group, context).ConfigureAwait(false)));
            }

            using var source = new KafkaDashboardSource(settings, shown, fleet);
            var app = Build(source, context.Get(listen), context.Get(allowReplay));
            await using (app.ConfigureAwait(false))
            {
                await StartAsync(app, context.Get(listen)!, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Starts serving; an address that cannot be bound (in use, not this machine's, a port that needs root) is one line, exit 1.</summary>
    private static async Task StartAsync(WebApplication app, string listen, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            var reason = (e.InnerException?.Message ?? e.Message).TrimEnd('.');
            throw new CommandFailedException(
                $"cannot serve the dashboard on {listen}: {reason}. Choose another --listen (port 0 picks a free one), or stop what serves there.");
        }
    }

    private static FleetOptions? FleetFrom(string? status, string? control) =>
        status is null ? null : new FleetOptions { StatusTopic = status, ControlTopic = control };

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
