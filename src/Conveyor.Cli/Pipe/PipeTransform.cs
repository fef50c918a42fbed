using System.Text;

namespace Conveyor.Cli.Pipe;

/// <summary>What <c>conveyor pipe</c> does to each value on its way through.</summary>
internal enum PipeTransform
{
    /// <summary>Forwards the value unchanged.</summary>
    None,

    /// <summary>Forwards the value as upper-case text (values are read as UTF-8).</summary>
    Upper,
}

/// <summary>Applies a <see cref="PipeTransform"/>.</summary>
internal static class PipeTransforms
{
    public static byte[]? Apply(this PipeTransform transform, byte[]? value) => transform switch
    {
        PipeTransform.Upper when value is not null => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(value).ToUpperInvariant()),
        _ => value,
    };
}
