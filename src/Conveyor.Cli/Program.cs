using Conveyor.Cli.CommandLine;

return await ConveyorCommandLine.InvokeAsync(args).ConfigureAwait(false);
