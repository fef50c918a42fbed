using System.Reflection;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Support;

/// <summary>
/// Passes every event on to a recorder, then runs a check (so a test can wait on events, not on
/// time). A proxy of the interface: every event, one added later included, goes through
/// <see cref="Invoke"/>, so none is passed over.
/// </summary>
internal class CheckingObserver : DispatchProxy
{
    private object _inner = null!;
    private Action _check = null!;

    public static IProcessorObserver Create(IProcessorObserver inner, Action check) => CreateAs<IProcessorObserver>(inner, check);

    /// <summary>
    /// A proxy of the interface <typeparamref name="TObserver"/> (a forwarder's or a transaction
    /// observer, whose events the engine finds by that interface): every event of it and of the
    /// interfaces it extends.
    /// </summary>
    public static TObserver CreateAs<TObserver>(TObserver inner, Action check)
        where TObserver : class, IProcessorObserver
    {
        var observer = Create<TObserver, CheckingObserver>();
        var proxy = (CheckingObserver)(object)observer;
        proxy._inner = inner;
        proxy._check = check;
        return observer;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        try
        {
            targetMethod!.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
        }

        _check();
        return null;
    }
}
