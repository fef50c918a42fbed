namespace Conveyor.Samples.Worker;

/// <summary>The message value: JSON such as <c>{"id":1,"customer":"c-1","amount":12.5}</c>.</summary>
public sealed record Order(int Id, string Customer, decimal Amount);
