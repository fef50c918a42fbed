using System.Text;

namespace Conveyor.Cli.Pipe;

/// <summary>Applies a <see cref="PipeTransform"/>.</summary>
internal static class PipeTransforms
{
    public static byte[]? Apply(this PipeTransform transform, byte[]? value) => transform switch
    {
        PipeTransform.Upper when value is not null => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(value).ToUpperInvariant()),
        _ => value,
    };
}
