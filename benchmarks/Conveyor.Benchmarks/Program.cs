using BenchmarkDotNet.Running;
using Conveyor.Benchmarks.Engine;

// engine [--quick]: the engine scenario benchmark on the embedded broker.
// downstream [--quick] [--capacity C]: fixed and adaptive concurrency limits against a simulated downstream of capacity C.
// pollpath [--messages N] [--rounds R]: the engine's own CPU and allocations per message, on an in-memory consumer (no broker).
// ceiling [--pairs N] [--rounds R] VARIANT...: the forwarder's output sender alone under output producer settings side by side.
// tracker: the BenchmarkDotNet offset tracker benchmark; anything else goes to BenchmarkDotNet as before.
return args switch
{
    ["engine", .. var rest] => await EngineBenchmark.RunAsync(rest),
    ["downstream", .. var rest] => await Conveyor.Benchmarks.Downstream.DownstreamBenchmark.RunAsync(rest),
    ["ceiling", .. var rest] => await CeilingBenchmark.RunAsync(rest),
    ["pollpath", .. var rest] => await Conveyor.Benchmarks.PollPath.PollPathBenchmark.RunAsync(rest),
    [RssProbe.Command, .. var rest] => await RssProbe.RunChildAsync(rest),
    ["tracker", .. var rest] => RunBenchmarkDotNet(["--filter", "*OffsetTracker*", .. rest]),
    _ => RunBenchmarkDotNet(args),
};

static int RunBenchmarkDotNet(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}
