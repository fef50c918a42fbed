return await Conveyor.Samples.ForwarderSample.RunAsync(args, Console.Out, CancellationToken.None);
