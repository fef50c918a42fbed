using System.Collections.Concurrent;
using System.Reflection;
using Confluent.Kafka;
using Conveyor.Cli.Pipe;
using Conveyor.Cli.Tutorial;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Tests.Processing;

public class CompositeObserverTests
{
    private static readonly Type[] ObserverInterfaces = [typeof(IProcessorObserver), typeof(IForwardingObserver), typeof(ITransactionObserver)];

    /// <summary>Every event of the three observer interfaces, one call each.</summary>
    public static TheoryData<string> Events => [.. AllEvents().Select(e => e.Name)];

    [Fact]
    public void The_composite_implements_every_event_itself_so_none_falls_to_an_empty_default()
    {
        var missing = ObserverInterfaces
            .SelectMany(i => typeof(CompositeObserver).GetInterfaceMap(i).TargetMethods)
            .Where(m => m.DeclaringType != typeof(CompositeObserver))
            .Select(m => m.Name)
            .ToList();

        Assert.Empty(missing);
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void The_composite_passes_every_event_to_each_observer_in_order(string name)
    {
        var calls = new ConcurrentQueue<string>();
        var composite = new CompositeObserver(Recorder.Create(calls, "a"), null, Recorder.Create(calls, "b"));

        Raise(composite, name);

        Assert.Equal([$"a:{name}", $"b:{name}"], calls);
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void The_telemetry_layer_passes_every_event_on(string name) =>
        AssertPassesOn(name, next => new ProcessorEvents(next, "g", text => text));

    [Theory]
    [MemberData(nameof(Events))]
    public void The_logging_observer_passes_every_event_on(string name) =>
        AssertPassesOn(name, next => new LoggingObserver(NullLogger.Instance, NullLogger.Instance, "p", next));

    [Fact]
    public void The_pipe_observer_passes_every_processor_event_to_the_console_and_prints_forwarded_messages()
    {
        using var output = new StringWriter();
        var console = new ConsoleObserver(output, output, showClientLogs: true);
        var pipe = new PipeObserver(console, output);

        pipe.OnForwarded(new TopicPartitionOffset("in", 0, 1), [new TopicPartitionOffset("out", 0, 2)]);
        pipe.OnClientLog(new LogMessage("rdkafka#consumer-1", SyslogLevel.Error, "FAIL", "broker down"));

        Assert.Equal(1, pipe.Forwarded);
        Assert.Contains("broker down", output.ToString(), StringComparison.Ordinal);
    }

    private static void AssertPassesOn(string name, Func<IProcessorObserver, CompositeObserver> wrap)
    {
        var calls = new ConcurrentQueue<string>();
        var wrapper = wrap(Recorder.Create(calls, "next"));

        Raise(wrapper, name);

        Assert.Equal([$"next:{name}"], calls);
    }

    private static IEnumerable<MethodInfo> AllEvents() => ObserverInterfaces.SelectMany(i => i.GetMethods()).DistinctBy(m => m.Name);

    private static void Raise(CompositeObserver observer, string name)
    {
        var method = AllEvents().Single(m => m.Name == name);
        method.Invoke(observer, [.. method.GetParameters().Select(p => Sample(p.ParameterType))]);
    }

    private static object Sample(Type type) => type switch
    {
        _ when type == typeof(IReadOnlyList<TopicPartition>) => new List<TopicPartition> { new("t", 0) },
        _ when type == typeof(IReadOnlyList<TopicPartitionOffset>) => new List<TopicPartitionOffset> { new("t", 0, 1) },
        _ when type == typeof(IReadOnlyList<string>) => new List<string> { "t.dlq" },
        _ when type == typeof(TopicPartition) => new TopicPartition("t", 0),
        _ when type == typeof(TopicPartitionOffset) => new TopicPartitionOffset("t", 0, 1),
        _ when type == typeof(Exception) => new InvalidOperationException("x"),
        _ when type == typeof(Error) => new Error(ErrorCode.Local_Fail, "failed"),
        _ when type == typeof(LogMessage) => new LogMessage("rdkafka#consumer-1", SyslogLevel.Warning, "FAC", "line"),
        _ when type == typeof(string) => "problem",
        _ when type == typeof(TimeSpan) => TimeSpan.FromSeconds(1),
        _ when type == typeof(int) => 1,
        _ when type == typeof(long) => 1L,
        _ when type == typeof(bool) => true,
        _ => throw new NotSupportedException($"No sample for {type}: add one."),
    };

    /// <summary>Every observer interface at once, so one recorder hears all events.</summary>
    public interface IAllEvents : IForwardingObserver, ITransactionObserver;

    /// <summary>Records the name of every event it hears (a proxy: it needs no method per event).</summary>
    public class Recorder : DispatchProxy
    {
        private ConcurrentQueue<string> _calls = null!;
        private string _name = null!;

        public static IAllEvents Create(ConcurrentQueue<string> calls, string name)
        {
            var proxy = Create<IAllEvents, Recorder>();
            var recorder = (Recorder)(object)proxy;
            recorder._calls = calls;
            recorder._name = name;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            _calls.Enqueue($"{_name}:{targetMethod!.Name}");
            return null;
        }
    }
}
