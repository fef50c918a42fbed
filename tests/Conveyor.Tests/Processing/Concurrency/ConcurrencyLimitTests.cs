using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;

namespace Conveyor.Tests.Processing.Concurrency;

public class ConcurrencyLimitTests
{
    [Fact]
    public void A_limit_is_clamped_to_its_bounds_and_each_change_is_told_with_its_reason()
    {
        var changes = new List<(int, string)>();
        var enforced = new List<int>();
        var limit = new ConcurrencyLimit(2, 10, 10, (l, r) => changes.Add((l, r)));
        limit.Attach(enforced.Add);

        limit.SetLimit(50, "operator: more");
        limit.SetLimit(0, "operator: less");
        limit.SetLimit(5, "operator: five");

        Assert.Equal(5, limit.Limit);
        Assert.Equal([(2, "operator: less"), (5, "operator: five")], changes);
        Assert.Equal([10, 2, 5], enforced);
        Assert.Equal("operator: five", limit.Reason);
    }

    [Fact]
    public void A_limit_set_between_runs_holds_in_the_next_run()
    {
        var limit = ConcurrencyLimit.For(new ProcessorOptions { MaxConcurrency = 16 });
        limit.SetLimit(3, "before the run");
        var enforced = new List<int>();

        limit.Attach(enforced.Add);

        Assert.Equal([3], enforced);
    }

    [Fact]
    public void The_adaptive_limit_starts_at_its_lowest_and_a_fixed_one_at_MaxConcurrency()
    {
        Assert.Equal(16, ConcurrencyLimit.For(new ProcessorOptions { MaxConcurrency = 16 }).Limit);
        var adaptive = ConcurrencyLimit.For(new ProcessorOptions { MaxConcurrency = 16, Concurrency = new() { Adaptive = true, Min = 4 } });
        Assert.Equal((4, 4, 16), (adaptive.Limit, adaptive.Min, adaptive.Max));
    }

    [Fact]
    public void A_processor_holds_a_live_limit_an_operator_can_set()
    {
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties("localhost:9092"), Options() with { MaxConcurrency = 8 })
            .Handle((_, _) => ValueTask.CompletedTask)
            .Build();

        var control = ((KafkaProcessor<string, string>)processor).Concurrency;
        control.SetLimit(3, "operator");

        Assert.Equal(3, control.Limit);
        Assert.Equal(3, processor.Status.ConcurrencyLimit);
    }

    [Fact]
    public void A_lowest_adaptive_limit_above_MaxConcurrency_is_refused_with_one_message()
    {
        var problems = (Options() with { MaxConcurrency = 8, Concurrency = new() { Adaptive = true, Min = 9 } }).Validate();

        Assert.Equal(["Concurrency.Min must be between 1 and MaxConcurrency (8), the adaptive limit's highest; it is 9."], problems);
    }

    [Fact]
    public void An_adaptive_limit_on_a_batch_processor_is_refused_with_one_message()
    {
        var problems = ProcessorValidation.Problems(Options() with { Concurrency = new() { Adaptive = true } }, ProcessorKind.BatchProcessor);

        Assert.Equal([ProcessorValidation.AdaptiveNeedsSingleMessages], problems);
        Assert.Empty(ProcessorValidation.Problems(Options() with { Concurrency = new() { Adaptive = true } }, ProcessorKind.Processor));
    }

    private static ProcessorOptions Options() => new() { GroupId = "g", Topics = ["t"] };
}
