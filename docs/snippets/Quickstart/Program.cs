using System.Runtime.InteropServices;
using Conveyor.Configuration;
using Conveyor.Processing;

using var stop = new CancellationTokenSource(); // Ctrl-C or SIGTERM: drain, commit, leave the group
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => { s.Cancel = true; stop.Cancel(); });
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => { s.Cancel = true; stop.Cancel(); });

var client = new KafkaClientProperties(args.FirstOrDefault() ?? "localhost:9092");
var options = new ProcessorOptions { GroupId = "orders-service", Topics = ["orders"] };
await using var processor = new KafkaProcessorBuilder<string, Order>(client, options)
    .Handle((message, ct) =>
    {
        Console.WriteLine($"order {message.Value.Id}: {message.Value.Amount}"); // throw to fail: retried, then dead-lettered
        return ValueTask.CompletedTask;
    })
    .Build();
await processor.RunAsync(stop.Token);

record Order(int Id, decimal Amount);
