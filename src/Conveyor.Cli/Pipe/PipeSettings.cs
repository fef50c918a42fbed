using Conveyor.Processing;

namespace Conveyor.Cli.Pipe;

/// <summary>What <c>conveyor pipe</c> forwards, where to, and when it stops.</summary>
/// <param name="Processor">The engine's options (input topic, group, ordering, commits, failures).</param>
/// <param name="To">The output topics; every input goes to each of them.</param>
/// <param name="Transform">What happens to each value.</param>
/// <param name="MaxMessages">Stop after this many messages are forwarded or settled otherwise; null runs until stopped.</param>
internal sealed record PipeSettings(ProcessorOptions Processor, IReadOnlyList<string> To, PipeTransform Transform, int? MaxMessages);
