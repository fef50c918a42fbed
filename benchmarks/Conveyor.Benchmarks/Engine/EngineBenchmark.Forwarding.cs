namespace Conveyor.Benchmarks.Engine;

// The forwarding scenario of engine: forwarding rounds paired with rounds of the producer alone.
internal static partial class EngineBenchmark
{
    /// <summary>
    /// Forwarding rounds alternate with rounds of the producer alone (the forwarder's own output
    /// sender, no consumer, no engine; <see cref="BenchmarkSettings.ProducerOnlyPairs"/> pairs a
    /// round, as fast as it goes), so both see the machine of the same moment, and with a round of
    /// that producer fed at the forwarding round's own rate (its CPU per record grows as its rate
    /// falls: smaller batches, more requests and wake-ups per record);
    /// a pair in which the JIT was still compiling runs again, as in the no-op rounds. Then what the
    /// rounds' counting observer costs is measured apart, and the seed's one-at-a-time loop runs.
    /// </summary>
    private static async Task RunForwardingAsync(BenchmarkSettings settings, Backlog backlog, ForwardingRunner forwarding, ProducerOnlyRunner producerOnly, EngineReport report)
    {
        var messages = Math.Min(settings.ForwardMessages, backlog.Messages);
        var warmup = Math.Min(settings.ForwardWarmupMessages, messages);
        Log($"forwarding: the first {messages:N0} messages of '{backlog.Topic}', each to two output topics of {backlog.Partitions} partitions, "
            + $"a warm-up of {warmup:N0}, then {settings.ForwardRounds} rounds, each followed by the producer alone writing {settings.ProducerOnlyPairs:N0} pairs; the sequential loop over {settings.ForwardSequentialMessages:N0}; "
            + (ForwardingRunner.ConfluentProducer ? "outputs through Confluent.Kafka's producer (CONVEYOR_FORWARD_PRODUCER=confluent)" : "outputs through the native producer"));
        await forwarding.RunAsync("warm-up", backlog, warmup, "forward-warm-up").ConfigureAwait(false);
        var warmAlone = producerOnly.Run("producer alone warm-up", backlog, warmup, "produce-only-warm-up", settings.MessageBytes);
        producerOnly.Run("producer alone paced warm-up", backlog, warmup, "produce-paced-warm-up", settings.MessageBytes, warmAlone.PerSecond / 2);
        Log($"forwarding: {await JitQuiet.WaitAsync().ConfigureAwait(false)} methods compiled after the warm-up before the rounds");
        using var sampler = AllocationSampler.Enabled ? new AllocationSampler() : null;
        var counted = 0;
        for (var round = 1; counted < settings.ForwardRounds; round++)
        {
            var gc = GcCounts.Now();
            sampler?.Start();
            var probeForward = ThreadCpu.Enabled ? MachineProbe.Line() : "";
            var measured = await forwarding.RunAsync($"forward 2 outputs #{round}", backlog, messages, $"forward-{round}").ConfigureAwait(false);
            LogTypes($"forwarding round {round}", sampler?.Stop(messages));
            Log($"forwarding round {round}: {GcCounts.Now() - gc}");
            Log($"forwarding round {round}: {measured.PerSecond:N0} inputs/s ({measured.PerSecond * 2:N0} outputs/s), from the first input to the last: "
                + $"{measured.AllocatedBytesPerMessage:N0} B allocated per input (and {measured.ProbeBytesPerMessage:N0} B for the counting observer's event), GC paused {measured.GcPaused.TotalMilliseconds:F0} ms of {measured.Elapsed.TotalMilliseconds:F0}, "
                + $"{measured.CpuMicrosecondsPerMessage:F2} µs CPU per input, steady middle {Steady(measured)}, JIT {measured.Jit.TotalMilliseconds:F0} ms{ByThread(measured)} {probeForward}");

            sampler?.Start();
            var probeAlone = ThreadCpu.Enabled ? MachineProbe.Line() : "";
            var alone = producerOnly.Run($"producer alone #{round}", backlog, settings.ProducerOnlyPairs, $"produce-only-{round}", settings.MessageBytes);
            LogTypes($"producer alone round {round}", sampler?.Stop(settings.ProducerOnlyPairs));
            Log($"producer alone round {round}: {alone.PerSecond:N0} pairs/s, {alone.AllocatedBytesPerMessage:N0} B allocated and {alone.CpuMicrosecondsPerMessage:F2} µs CPU per pair, "
                + $"steady middle {Steady(alone)}, JIT {alone.Jit.TotalMilliseconds:F0} ms; CPU forwarding ÷ producer alone {measured.CpuMicrosecondsPerMessage / alone.CpuMicrosecondsPerMessage:F3}{ByThread(alone)} {probeAlone}");

            var paced = producerOnly.Run($"producer alone at the forwarding rate #{round}", backlog, messages, $"produce-paced-{round}", settings.MessageBytes, measured.PerSecond);
            Log($"producer alone at {measured.PerSecond:N0} pairs/s, round {round}: {paced.PerSecond:N0} pairs/s, {paced.CpuMicrosecondsPerMessage:F2} µs CPU per pair, JIT {paced.Jit.TotalMilliseconds:F0} ms; "
                + $"CPU forwarding ÷ producer alone at its rate {measured.CpuMicrosecondsPerMessage / paced.CpuMicrosecondsPerMessage:F3}{ByThread(paced)}");

            // As in the no-op rounds: a pair in which the JIT compiled for 5 % or more of either
            // round's time is run again (at most ForwardRounds times), then counted anyway.
            if (!(measured.JitSettled && alone.JitSettled) && round - counted <= settings.ForwardRounds)
            {
                Log($"forwarding pair {round} not counted: the JIT was still compiling");
                continue;
            }

            counted++;
            report.Add(measured, "KafkaForwarder, 2 outputs per input, Key ordering, MaxConcurrency 64; msg/s of inputs finished");
            report.Forward.Add(measured);
            report.Add(alone, "the forwarder's output sender alone, no consumer, no engine: pairs of records acknowledged per second (the forwarder's ceiling)");
            report.ProducerOnly.Add(alone);
            report.Add(paced, "the same sender fed at the forwarding round's rate: producing's cost at the rate the forwarder runs");
            report.ProducerPaced.Add(paced);
        }

        report.ForwardObserverCpu = ForwardingRunner.ObserverMicrosecondsPerInput(backlog.Partitions);
        Log($"forwarding: hearing the forwarded event costs {report.ForwardObserverCpu:F3} µs CPU per input on the thread telling it (measured apart: the event's objects, the call, the count)");

        report.ForwardSequential = await forwarding.RunSequentialAsync("forward 2 outputs, one at a time (seed's loop)", backlog, settings.ForwardSequentialMessages, "forward-sequential")
            .ConfigureAwait(false);
        report.Add(report.ForwardSequential, "consume, send to both outputs, await both acknowledgements, StoreOffset, next");
        Log($"forwarding one at a time: {report.ForwardSequential.PerSecond:N0} inputs/s");
    }

    private static string Steady(Throughput measured) => measured.Steady is { } steady ? $"{steady.PerSecond:N0}/s {steady.CpuMicrosecondsPerMessage:F2} µs" : "n/a";

    private static string ByThread(Throughput measured) => measured.Threads is { } threads ? $"; by thread (µs each): {threads}" : string.Empty;
}
