using System.Text.Json;
using Conveyor.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Conveyor.AspNetCore;

/// <summary>The JSON body of the Conveyor health endpoints.</summary>
internal static class HealthResponse
{
    private const string NamePrefix = "conveyor-";

    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var json = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = true });
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("processors");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name.StartsWith(NamePrefix, StringComparison.Ordinal) ? name[NamePrefix.Length..] : name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("description", entry.Description);
                WriteString(json, "state", entry.Data, "state");
                WriteList(json, "assignedPartitions", entry.Data, ProcessorHealthCheck.AssignedKey);
                WriteList(json, "stoppedPartitions", entry.Data, ProcessorHealthCheck.StoppedKey);
                WriteList(json, "stalledPartitions", entry.Data, ProcessorHealthCheck.StalledKey);
                if (entry.Data.TryGetValue("last_poll", out var poll) && poll is DateTimeOffset lastPoll)
                {
                    json.WriteString("lastPoll", lastPoll);
                }

                if (entry.Data.TryGetValue(ProcessorHealthCheck.LastErrorKey, out var error) && error is string message)
                {
                    json.WriteStartObject("lastError");
                    if (entry.Data.TryGetValue(ProcessorHealthCheck.LastErrorAtKey, out var at) && at is DateTimeOffset when)
                    {
                        json.WriteString("at", when);
                    }

                    json.WriteString("message", message);
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteNull("lastError");
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }
    }

    private static void WriteString(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, object> data, string key)
    {
        if (data.TryGetValue(key, out var value) && value is not null)
        {
            json.WriteString(name, value.ToString());
        }
    }

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, object> data, string key)
    {
        json.WriteStartArray(name);
        if (data.TryGetValue(key, out var value) && value is IEnumerable<string> items)
        {
            foreach (var item in items)
            {
                json.WriteStringValue(item);
            }
        }

        json.WriteEndArray();
    }
}
