using System.Text;

namespace Conveyor.Cli.Tutorial;

/// <summary>How <c>produce --stdin</c> reads a key or a value: as given, or encoded so that any bytes can be sent.</summary>
internal enum DataFormat
{
    /// <summary>The bytes as they are (not decoded as UTF-8, so anything but a tab or a newline passes unchanged).</summary>
    Text,

    /// <summary>Standard base64.</summary>
    Base64,

    /// <summary>Two hex digits per byte.</summary>
    Hex,
}

/// <summary>One line of <c>produce --stdin</c>, decoded: the key (null without a tab) and the value, or why it cannot be sent.</summary>
/// <param name="Line">The line's number, from 1.</param>
/// <param name="Key">The key's bytes; null when the line has no tab.</param>
/// <param name="Value">The value's bytes.</param>
/// <param name="Problem">Why the line cannot be sent; null when it can.</param>
/// <param name="DisplayKey">The key as the delivery lines show it: as it was written on the line.</param>
internal sealed record StdinRecord(int Line, byte[]? Key, byte[] Value, string? Problem, string? DisplayKey = null);

/// <summary>
/// Reads <c>key&lt;TAB&gt;value</c> lines from a byte stream, without decoding them as text, so
/// binary keys and values pass unchanged (with <see cref="DataFormat.Text"/>) or can be given in
/// base64 or hex.
/// </summary>
internal static class StdinRecords
{
    /// <summary>The lines of <paramref name="input"/>, numbered from 1; a trailing <c>\r</c> is dropped, as is a last empty line.</summary>
    public static async IAsyncEnumerable<(int Number, byte[] Bytes)> ReadLinesAsync(
        Stream input, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new byte[64 * 1024];
        var line = new MemoryStream();
        var number = 0;
        int read;
        // WaitAsync: a console stream's read does not watch the token, and Ctrl-C must not wait for a next line.
        while ((read = await input.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    line.Write(buffer, start, i - start);
                    start = i + 1;
                    yield return (++number, TrimCarriageReturn(line.ToArray()));
                    line.SetLength(0);
                }
            }

            line.Write(buffer, start, read - start);
        }

        if (line.Length > 0)
        {
            yield return (++number, TrimCarriageReturn(line.ToArray()));
        }
    }

    /// <summary>Splits a line at its first tab and decodes both parts.</summary>
    public static StdinRecord Parse(int number, byte[] line, DataFormat keyFormat, DataFormat valueFormat)
    {
        var tab = Array.IndexOf(line, (byte)'\t');
        var keyPart = tab < 0 ? null : line[..tab];
        var valuePart = tab < 0 ? line : line[(tab + 1)..];
        byte[]? key = null;
        if (keyPart is not null)
        {
            (key, var keyProblem) = Decode(keyPart, keyFormat);
            if (keyProblem is not null)
            {
                return new StdinRecord(number, null, [], $"the key is not {Describe(keyFormat)} ({keyProblem})");
            }
        }

        var (value, valueProblem) = Decode(valuePart, valueFormat);
        return valueProblem is null
            ? new StdinRecord(number, key, value, null, keyPart is null ? null : Encoding.UTF8.GetString(keyPart))
            : new StdinRecord(number, null, [], $"the value is not {Describe(valueFormat)} ({valueProblem})");
    }

    private static (byte[] Bytes, string? Problem) Decode(byte[] text, DataFormat format)
    {
        try
        {
            return format switch
            {
                DataFormat.Base64 => (Convert.FromBase64String(Encoding.ASCII.GetString(text)), null),
                DataFormat.Hex => (Convert.FromHexString(Encoding.ASCII.GetString(text)), null),
                _ => (text, null),
            };
        }
        catch (FormatException e)
        {
            return ([], e.Message);
        }
    }

    private static string Describe(DataFormat format) => format == DataFormat.Hex ? "hex" : "base64";

    private static byte[] TrimCarriageReturn(byte[] line) => line is [.., (byte)'\r'] ? line[..^1] : line;
}
