namespace Conveyor.Cli.Pipe;

/// <summary>What <c>conveyor pipe</c> does to each value on its way through.</summary>
internal enum PipeTransform
{
    /// <summary>Forwards the value unchanged.</summary>
    None,

    /// <summary>Forwards the value as upper-case text (values are read as UTF-8).</summary>
    Upper,
}
