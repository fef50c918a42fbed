using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Conveyor.DeadLetters;

/// <summary>How keys, values and header values are shown: text when they are text, JSON indented, hex otherwise.</summary>
internal static class Bytes
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>UTF-8 text without control characters, or <c>0x</c> and hex digits.</summary>
    public static string ToText(byte[] bytes) =>
        TryText(bytes, out var text) && !text.Any(c => char.IsControl(c) && c is not ('\t' or '\n' or '\r')) ? text : "0x" + Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>The value indented when it is JSON; otherwise a hex dump with the printable characters beside it.</summary>
    public static IEnumerable<string> ValueLines(byte[]? value)
    {
        if (value is null)
        {
            return ["(null)"];
        }

        if (TryJson(value, out var json))
        {
            return json.Split('\n');
        }

        return HexDump(value);
    }

    public static IEnumerable<string> HexDump(byte[] bytes)
    {
        for (var at = 0; at < bytes.Length; at += 16)
        {
            var row = bytes.AsSpan(at, Math.Min(16, bytes.Length - at));
            var hex = new StringBuilder();
            var chars = new StringBuilder();
            for (var i = 0; i < 16; i++)
            {
                hex.Append(i < row.Length ? row[i].ToString("x2", CultureInfo.InvariantCulture) + " " : "   ");
                if (i < row.Length)
                {
                    chars.Append(row[i] is >= 0x20 and < 0x7f ? (char)row[i] : '.');
                }
            }

            yield return string.Create(CultureInfo.InvariantCulture, $"{at:x8}  {hex} {chars}");
        }
    }

    private static bool TryText(byte[] bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private static bool TryJson(byte[] bytes, out string json)
    {
        json = "";
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                return false;
            }

            json = JsonSerializer.Serialize(document.RootElement, Indented).Replace("\r\n", "\n", StringComparison.Ordinal);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
