using System.Globalization;
using Confluent.Kafka;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.AspNetCore.Dashboard.Pages;
using Conveyor.DeadLetters;
using Conveyor.Fleet;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.AspNetCore.Dashboard;

/// <summary>The dashboard's request handlers: gather what a page shows, render it, answer.</summary>
/// <param name="prefix">The dashboard's prefix without a trailing slash (empty at the root).</param>
/// <param name="source">What the pages show.</param>
/// <param name="lag">Offsets and lag per group, read from Kafka.</param>
/// <param name="options">Actions, refresh interval, title.</param>
/// <param name="time">The clock.</param>
/// <param name="fleet">The status topics of the processors with <c>Fleet</c> on.</param>
/// <param name="commands">The commands sent from this dashboard.</param>
internal sealed class DashboardPages(string prefix, Lazy<IDashboardSource> source, LagBoard lag, ConveyorDashboardOptions options, TimeProvider time, FleetBoard fleet, CommandLog commands)
{
    public async Task<IResult> OverviewAsync(HttpContext context) =>
        Page(context, OverviewPage.Render(Context(context), await MeasureAsync().ConfigureAwait(false)));

    public async Task<IResult> PartitionsAsync(HttpContext context) =>
        Page(context, PartitionsPage.Render(Context(context), await MeasureAsync().ConfigureAwait(false)));

    public IResult Configuration(HttpContext context) =>
        Page(context, ConfigurationPage.Render(Context(context), source.Value.Processors()));

    public async Task<IResult> DeadLettersAsync(HttpContext context)
    {
        var request = context.Request.Query;
        var topics = source.Value.DeadLetterTopics();
        var limit = int.TryParse(request["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : (int?)null;
        var query = new DeadLetterQuery(
            NullIfEmpty(request["topic"]) ?? topics.FirstOrDefault()?.Topic,
            NullIfEmpty(request["source-topic"]),
            NullIfEmpty(request["exception"]),
            NullIfEmpty(request["key"]),
            NullIfEmpty(request["since"]),
            limit,
            NullIfEmpty(request["group"]));
        var notice = Outcome(request);
        DateTimeOffset? since = null;
        if (query.Since is { } text)
        {
            if (DeadLetterFilter.TryParseSince(text, time.GetUtcNow(), out var at))
            {
                since = at;
            }
            else
            {
                notice = $"Since '{text}' is neither a time (2026-12-01T02:00:00Z) nor a span (90s, 30m, 2h, 1d); it is ignored.";
            }
        }

        IReadOnlyList<DeadLetter>? letters = null;
        if (topics.FirstOrDefault(t => t.Topic == query.Topic) is { } topic)
        {
            try
            {
                var filter = new DeadLetterFilter(query.SourceTopic, query.Exception, query.Key, since, query.Group);
                letters = [.. (await DeadLetterBrowser.ListAsync(topic, filter, context.RequestAborted).ConfigureAwait(false)).Take(limit ?? int.MaxValue)];
            }
            catch (Exception e) when (e is KafkaException or DeadLetterReadException)
            {
                notice = $"{topic.Topic} could not be read: {Redact(e.Message)}";
            }
        }
        else if (query.Topic is not null)
        {
            notice = $"{query.Topic} is not a dead-letter topic of these processors.";
        }

        return Page(context, DeadLettersPage.Render(Context(context), [.. topics.Select(t => t.Topic)], query, letters, notice));
    }

    public async Task<IResult> DeadLetterAsync(HttpContext context, string topic, int partition, long offset)
    {
        if (source.Value.DeadLetterTopics().FirstOrDefault(t => t.Topic == topic) is not { } known)
        {
            return Results.NotFound();
        }

        var found = await DeadLetterBrowser.FindAsync(known, [(partition, offset)], context.RequestAborted).ConfigureAwait(false);
        return found.Count == 1 ? Page(context, DeadLetterPage.Render(Context(context), topic, found[0])) : Results.NotFound();
    }

    /// <summary>Replays the selected dead letters, then sends the browser back to the list with the outcome (post, redirect, get).</summary>
    public async Task<IResult> ReplayAsync(HttpContext context)
    {
        var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
        if (!await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
        {
            return Results.BadRequest("The form's antiforgery token is missing or wrong: reload the page and try again.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (source.Value.DeadLetterTopics().FirstOrDefault(t => t.Topic == form["topic"]) is not { } topic)
        {
            return Results.BadRequest("Not a dead-letter topic of these processors.");
        }

        var positions = form["position"].Select(ParsePosition).OfType<(int, long)>().ToHashSet();
        var letters = await DeadLetterBrowser.FindAsync(topic, positions, context.RequestAborted).ConfigureAwait(false);
        var (replayed, _) = await DeadLetterBrowser.ReplayAsync(topic, letters, context.RequestAborted).ConfigureAwait(false);
        // Positions that hold no dead letter count as not replayed.
        return Results.Redirect(string.Create(CultureInfo.InvariantCulture,
            $"{Root(context)}/dead-letters?topic={Uri.EscapeDataString(topic.Topic)}&replayed={replayed}&failed={positions.Count - replayed}"));
    }

    public async Task<IResult> FleetAsync(HttpContext context)
    {
        var groups = await fleet.ReadAsync(source.Value.Processors(), time.GetUtcNow(), context.RequestAborted).ConfigureAwait(false);
        return Page(context, FleetPage.Render(Context(context), groups, commands.Entries()));
    }

    /// <summary>Sends the posted command to the group's control topic, records it (who, when, what, result), and sends the browser back to the fleet page.</summary>
    public async Task<IResult> FleetCommandAsync(HttpContext context)
    {
        var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
        if (!await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
        {
            return Results.BadRequest("The form's antiforgery token is missing or wrong: reload the page and try again.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var by = context.User.Identity?.Name is { Length: > 0 } name ? name : "anonymous";
        var now = time.GetUtcNow();
        var processor = source.Value.Processors().FirstOrDefault(p => p.GroupId == form["group"] && p.Fleet?.ControlTopic is not null);
        var (command, what, problem) = FleetCommandForm.Parse(form, processor, $"{by} (dashboard)", now);
        if (command is { Kind: ControlKind.Rewind } && processor is not null)
        {
            try
            {
                problem = await Task.Run(() => RewindBounds.Problem(processor.Client, command), context.RequestAborted).ConfigureAwait(false);
            }
            catch (KafkaException e)
            {
                problem = $"the partition's offsets could not be read: {processor.Redact(e.Message)}";
            }

            command = problem is null ? command : null;
        }

        var result = $"refused: {problem}";
        if (command is not null && processor is not null)
        {
            try
            {
                await FleetReader.SendAsync(Conveyor.Configuration.KafkaClientProperties.From(processor.Client), processor.Fleet!.ControlTopic!, command, context.RequestAborted).ConfigureAwait(false);
                result = "sent";
            }
            catch (KafkaException e)
            {
                result = $"not sent: {processor.Redact(e.Message)}";
            }
        }

        commands.Add(new SentCommand(result == "sent" ? command!.Id : null, form["group"].ToString(), what, by, now, result));
        return Results.Redirect($"{Root(context)}/fleet");
    }

    private static string? Outcome(IQueryCollection query) =>
        int.TryParse(query["replayed"], NumberStyles.None, CultureInfo.InvariantCulture, out var replayed)
        && int.TryParse(query["failed"], NumberStyles.None, CultureInfo.InvariantCulture, out var failed)
            ? failed == 0
                ? string.Create(CultureInfo.InvariantCulture, $"Replayed {replayed} dead letter(s) to their source topics.")
                : string.Create(CultureInfo.InvariantCulture, $"Replayed {replayed} dead letter(s); {failed} could not be replayed.")
            : null;

    private static (int, long)? ParsePosition(string? text)
    {
        var parts = (text ?? "").Split(':');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                ? (partition, offset)
                : null;
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>The dashboard's path: the application's path base and the prefix.</summary>
    private string Root(HttpContext context) => context.Request.PathBase.Value + prefix;

    private async Task<IReadOnlyList<(ProcessorView, LagReading)>> MeasureAsync()
    {
        var processors = source.Value.Processors();
        var readings = await Task.WhenAll(processors.Select(lag.MeasureAsync)).ConfigureAwait(false);
        return [.. processors.Zip(readings)];
    }

    private PageContext Context(HttpContext context)
    {
        var field = "";
        if (options.ActionsPolicy is not null)
        {
            var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
            field = $"""<input type="hidden" name="{Pages.Html.E(tokens.FormFieldName)}" value="{Pages.Html.E(tokens.RequestToken)}">""";
        }

        return new PageContext(Root(context), options.Title ?? source.Value.Title, options.RefreshInterval, options.ActionsPolicy is not null, field, time.GetUtcNow());
    }

    private string Redact(string text) => source.Value.Processors().Aggregate(text, (t, p) => p.Redact(t));

    private static IResult Page(HttpContext context, string html)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";
        return Results.Content(html, "text/html; charset=utf-8");
    }
}
