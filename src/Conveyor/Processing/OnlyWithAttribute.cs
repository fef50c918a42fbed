namespace Conveyor.Processing;

/// <summary>
/// Marks a setting of <see cref="ProcessorOptions"/> that only one <see cref="DeliveryGuarantee"/>
/// reads, so that <see cref="ProcessorOptions.Validate"/> checks its <see cref="AllowedRangeAttribute"/>
/// only under that guarantee (a transaction timeout means nothing without transactions).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class OnlyWithAttribute(DeliveryGuarantee guarantee) : Attribute
{
    public DeliveryGuarantee Guarantee { get; } = guarantee;
}
