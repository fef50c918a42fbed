return await Conveyor.Samples.RetryTopicsSample.RunAsync(args, Console.Out, CancellationToken.None);
