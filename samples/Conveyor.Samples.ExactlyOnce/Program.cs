return await Conveyor.Samples.ExactlyOnceSample.RunAsync(args, Console.Out, CancellationToken.None);
