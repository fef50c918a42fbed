using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Native.Producing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Tests.Native;

/// <summary>The native producer's records in flight, numbered by their opaque instead of a GCHandle each.</summary>
public class InFlightRecordsTests
{
    [Fact]
    public void A_report_finds_the_slot_its_record_was_added_with()
    {
        var records = new InFlightRecords();
        var (a, b) = (Slot(), Slot());
        var numberA = records.Add(a);
        var numberB = records.Add(b);

        Assert.Same(b, records.Reported(numberB));
        Assert.Same(a, records.Reported(numberA));
    }

    [Fact]
    public void A_reported_number_is_not_used_again_before_its_batch_of_reports_is_given_back()
    {
        var records = new InFlightRecords();
        var first = records.Add(Slot());
        _ = records.Reported(first);

        // Still the reporting thread's: a sender must not get it while the batch is being served.
        var second = records.Add(Slot());
        Assert.NotEqual(first, second);

        records.GiveBackReported();
        var third = Slot();
        Assert.Equal(first, records.Add(third));
        Assert.Same(third, records.Reported(first));
    }

    [Fact]
    public void A_refused_record_gives_its_number_back_at_once()
    {
        var records = new InFlightRecords();
        var refused = Slot();
        var number = records.Add(refused);

        Assert.Same(refused, records.Remove(number));
        Assert.Equal(number, records.Add(Slot()));
        Assert.Equal(1, records.Count);
    }

    [Fact]
    public void Numbers_are_reused_so_the_table_holds_only_what_is_in_flight()
    {
        var records = new InFlightRecords(capacity: 4);
        for (var round = 0; round < 1_000; round++)
        {
            var pair = new[] { records.Add(Slot()), records.Add(Slot()) };
            Assert.All(pair, number => Assert.InRange(number, 0, 1));
            foreach (var number in pair)
            {
                _ = records.Reported(number);
            }

            records.GiveBackReported();
        }

        Assert.Equal(0, records.Count);
    }

    [Fact]
    public void Records_added_while_the_table_grows_are_all_found_by_their_reports()
    {
        var records = new InFlightRecords(capacity: 2);
        var slots = Enumerable.Range(0, 5_000).Select(_ => Slot()).ToArray();
        var numbers = slots.Select(records.Add).ToArray();

        Assert.Equal(slots.Length, numbers.Distinct().Count());
        for (var i = slots.Length - 1; i >= 0; i--)
        {
            Assert.Same(slots[i], records.Reported(numbers[i]));
        }
    }

    [Fact]
    public async Task Senders_on_many_threads_and_one_reporting_thread_lose_and_mix_up_no_record()
    {
        const int Senders = 4, PerSender = 20_000;
        var records = new InFlightRecords(capacity: 8);
        var sent = new BlockingCollection<(int Number, OutputSlot Slot)>();
        var reporter = Task.Run(() =>
        {
            var reported = 0;
            foreach (var (number, slot) in sent.GetConsumingEnumerable())
            {
                Assert.Same(slot, records.Reported(number));
                if (++reported % 64 == 0)
                {
                    records.GiveBackReported(); // a poll call's batch
                }
            }

            records.GiveBackReported();
            return reported;
        });

        await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerSender; i++)
            {
                var slot = Slot();
                sent.Add((records.Add(slot), slot));
            }
        })));
        sent.CompleteAdding();

        Assert.Equal(Senders * PerSender, await reporter.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, records.Count);
    }

    private static OutputSlot Slot() => new(NoReports.Instance, 0);

    private sealed class NoReports : IOutputReports
    {
        public static readonly NoReports Instance = new();

        public void Delivered(int index, Error error, Partition partition, Offset offset)
        {
        }
    }
}
