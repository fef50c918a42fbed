using System.Globalization;
using Conveyor.Fleet;
using Microsoft.AspNetCore.Http;

namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>Turns the fleet page's posted form into a control command, or says in one line what was wrong with it.</summary>
internal static class FleetCommandForm
{
    /// <param name="form">The posted fields: group, kind, and topic, partition, offset, limit or instance as the kind needs.</param>
    /// <param name="processor">The local processor of the form's group with a control topic; null when there is none.</param>
    /// <param name="by">Who sends it.</param>
    /// <param name="now">When.</param>
    public static (ControlCommand? Command, string What, string? Problem) Parse(IFormCollection form, ProcessorView? processor, string by, DateTimeOffset now)
    {
        var group = form["group"].ToString();
        var kindText = form["kind"].ToString();
        var what = string.Join(" ", new[] { kindText, form["topic"].ToString(), form["partition"].ToString(), form["offset"].ToString(), form["limit"].ToString(), form["instance"].ToString() }.Where(t => t.Length > 0));
        if (processor is null)
        {
            return (null, what, $"group '{group}' has no processor here with Fleet.ControlTopic set: commands go only to such groups.");
        }

        if (!Enum.TryParse<ControlKind>(kindText, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(kindText, out _))
        {
            return (null, what, $"'{kindText}' is not a command (Pause, Resume, Concurrency, Rewind, Stop).");
        }

        var command = new ControlCommand(Guid.NewGuid().ToString("N"), group, kind, by, now);
        switch (kind)
        {
            case ControlKind.Pause or ControlKind.Resume:
                var topic = form["topic"].ToString();
                if (topic.Length > 0 && !processor.Topics.Contains(topic))
                {
                    return (null, what, $"group '{group}' does not consume topic '{topic}' (it consumes {string.Join(", ", processor.Topics)}).");
                }

                int? partition = null;
                if (form["partition"].ToString() is { Length: > 0 } text)
                {
                    if (topic.Length == 0 || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                    {
                        return (null, what, $"partition '{text}' is not a partition number of a named topic.");
                    }

                    partition = p;
                }

                command = command with { Topic = topic.Length > 0 ? topic : null, Partitions = partition is { } one ? [one] : null };
                return (command, $"{kind} {command.Scope}", null);
            case ControlKind.Rewind:
                var rewound = form["topic"].ToString();
                if (!processor.Topics.Contains(rewound)
                    || !int.TryParse(form["partition"], NumberStyles.None, CultureInfo.InvariantCulture, out var at)
                    || !long.TryParse(form["offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                {
                    return (null, what, $"a rewind needs a topic group '{group}' consumes, a partition and an offset of at least 0 (got topic '{rewound}', partition '{form["partition"]}', offset '{form["offset"]}').");
                }

                command = command with { Topic = rewound, Partitions = [at], Offset = offset };
                return (command, string.Create(CultureInfo.InvariantCulture, $"Rewind {command.Scope} to offset {offset}"), null);
            case ControlKind.Concurrency:
                if (!int.TryParse(form["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1)
                {
                    return (null, what, $"max concurrency '{form["limit"]}' is not a whole number of at least 1.");
                }

                return (command with { Limit = limit }, string.Create(CultureInfo.InvariantCulture, $"Concurrency {limit} for the group"), null);
            default:
                var instance = form["instance"].ToString();
                return instance.Length > 0
                    ? (command with { Instance = instance }, $"Stop instance {instance}", null)
                    : (command, "Stop every instance", null);
        }
    }
}
