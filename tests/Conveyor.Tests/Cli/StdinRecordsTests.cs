using System.Text;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Tests.Cli;

public class StdinRecordsTests
{
    [Fact]
    public async Task Lines_are_read_as_bytes_numbered_with_carriage_returns_dropped()
    {
        using var input = new MemoryStream([.. "a\tb\r\n"u8, .. "\n"u8, 0xFF, 0xFE, .. "\nlast"u8]);
        var lines = new List<(int, byte[])>();
        await foreach (var line in StdinRecords.ReadLinesAsync(input))
        {
            lines.Add(line);
        }

        Assert.Equal([1, 2, 3, 4], lines.Select(l => l.Item1));
        Assert.Equal("a\tb"u8.ToArray(), lines[0].Item2);
        Assert.Empty(lines[1].Item2);
        Assert.Equal(new byte[] { 0xFF, 0xFE }, lines[2].Item2);
        Assert.Equal("last"u8.ToArray(), lines[3].Item2);
    }

    [Fact]
    public async Task A_stop_ends_the_wait_for_a_line_even_when_the_stream_ignores_the_token()
    {
        using var input = new DeafStream(); // as a console's standard input: its read does not watch the token
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in StdinRecords.ReadLinesAsync(input, stop.Token))
            {
            }
        });
        await input.Reading.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Text_keeps_the_bytes_and_a_line_without_a_tab_has_no_key()
    {
        var record = StdinRecords.Parse(1, [0xC3, 0x28], DataFormat.Text, DataFormat.Text);

        Assert.Null(record.Key);
        Assert.Equal(new byte[] { 0xC3, 0x28 }, record.Value);
        Assert.Null(record.Problem);
    }

    [Fact]
    public void Hex_and_base64_decode_and_a_bad_one_names_the_part()
    {
        var good = StdinRecords.Parse(1, Encoding.ASCII.GetBytes("0aff\tAAE="), DataFormat.Hex, DataFormat.Base64);
        var bad = StdinRecords.Parse(2, Encoding.ASCII.GetBytes("0a\tnot base64!"), DataFormat.Hex, DataFormat.Base64);

        Assert.Equal(new byte[] { 0x0A, 0xFF }, good.Key);
        Assert.Equal(new byte[] { 0x00, 0x01 }, good.Value);
        Assert.Equal("0aff", good.DisplayKey);
        Assert.StartsWith("the value is not base64 (", bad.Problem, StringComparison.Ordinal);
    }


    /// <summary>A stream whose read never ends and never looks at its cancellation token.</summary>
    private sealed class DeafStream : Stream
    {
        public TaskCompletionSource Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reading.TrySetResult();
            return new ValueTask<int>(new TaskCompletionSource<int>().Task);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
