return await Conveyor.Samples.ConsoleSample.RunAsync(args, Console.Out, CancellationToken.None);
