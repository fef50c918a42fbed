return await Conveyor.Samples.BatchSample.RunAsync(args, Console.Out, CancellationToken.None);
