using System.Runtime.InteropServices;

namespace Conveyor.Native.Consuming;

/// <summary>
/// The topic name of each polled message, made once per topic rather than once per message.
/// Keyed by librdkafka's topic handle and checked against the name's bytes on every hit, so a
/// handle freed and its memory reused for another topic can never give the wrong name. Poll
/// thread only.
/// </summary>
internal sealed unsafe class TopicNames
{
    private readonly Dictionary<IntPtr, (byte[] Bytes, string Name)> _names = [];

    /// <summary>The name of the topic behind <paramref name="rkt"/> (an <c>rd_kafka_topic_t</c>); null when there is none.</summary>
    public string? Of(IntPtr rkt)
    {
        if (rkt == IntPtr.Zero)
        {
            return null;
        }

        var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(ConsumerImports.TopicName(rkt));
        if (_names.TryGetValue(rkt, out var known) && bytes.SequenceEqual(known.Bytes))
        {
            return known.Name;
        }

        var name = System.Text.Encoding.UTF8.GetString(bytes);
        _names[rkt] = (bytes.ToArray(), name);
        return name;
    }
}
