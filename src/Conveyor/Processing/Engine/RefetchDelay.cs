namespace Conveyor.Processing.Engine;

/// <summary>
/// How long a partition resumed by back-pressure waits for its next message, learned on the poll
/// thread from each resume to the partition's next delivered message. A pause drops what
/// librdkafka fetched of the partition, and librdkafka's broker thread notices a resume only when
/// it next wakes: at once while it fetches other partitions, but up to a second later when every
/// partition it serves was paused or had its fill (it then sleeps up to a second, and a resume does
/// not wake it). On the embedded broker a resumed partition's messages came 60-1,000 ms after the
/// resume, most at the broker thread's once-a-second wake; a real broker adds the fetch's round
/// trip. Back-pressure resumes a partition while it still holds what its handlers get through in
/// that time (<see cref="BackPressure.ResumeAhead"/>), or it runs dry and the others pull ahead.
/// </summary>
internal sealed class RefetchDelay
{
    /// <summary>The least it plans for, and before anything was measured: the longest a resume waits for librdkafka's broker thread.</summary>
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay counted: a hiccup of the machine or the network must not keep every later resume early.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(2);

    /// <summary>The delay back-pressure plans for.</summary>
    public TimeSpan Current { get; private set; } = Initial;

    /// <summary>
    /// A resumed partition's next message came after <paramref name="delay"/>. A longer delay than
    /// the current one counts at once, a shorter one a quarter at a time, and never below
    /// <see cref="Initial"/>: whether a resume comes while the broker thread is awake (60-140 ms)
    /// or waits for its next wake is chance, and letting quick refetches lower the plan made the
    /// next slow one find its partition dry (traced: 925 ms after a resume planned for less,
    /// fairness 0.91).
    /// </summary>
    public void Observed(TimeSpan delay)
    {
        delay = delay > Longest ? Longest : delay;
        var next = delay >= Current ? delay : Current + ((delay - Current) / 4);
        Current = next < Initial ? Initial : next;
    }
}
