using System.Globalization;
using System.Text;
using Conveyor.AspNetCore.Dashboard.Model;
using static Conveyor.AspNetCore.Dashboard.Pages.Html;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>Each processor's effective settings and librdkafka properties, secret values masked.</summary>
internal static class ConfigurationPage
{
    public static string Render(PageContext page, IReadOnlyList<ProcessorView> processors)
    {
        var body = new StringBuilder();
        foreach (var processor in processors)
        {
            body.Append(CultureInfo.InvariantCulture, $"""<section class="card" data-testid="configuration-{E(processor.Name)}"><header><h2>{E(processor.Name)}</h2></header>""");
            if (processor.Settings.Count > 0)
            {
                body.Append("<h3>Processor</h3>").Append(Table(processor.Settings));
            }

            body.Append("<h3>Kafka client</h3>").Append(Table(processor.KafkaSettings)).Append("</section>");
        }

        return Layout.Render(page, "/configuration", "Configuration", body.ToString(), refresh: false);
    }

    private static string Table(IReadOnlyList<KeyValuePair<string, string>> rows)
    {
        var table = new StringBuilder("<table class=\"grid settings\"><tbody>");
        foreach (var (key, value) in rows)
        {
            table.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(key)}</th><td><code>{E(value)}</code></td></tr>");
        }

        return table.Append("</tbody></table>").ToString();
    }
}
