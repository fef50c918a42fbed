using System.Diagnostics;

namespace Conveyor.Processing.Engine;

/// <summary>
/// One attempt of a message between <see cref="IEngineEvents.MessageStarted"/> and
/// <see cref="IEngineEvents.MessageEnded"/>, kept on the worker's stack.
/// </summary>
/// <param name="Activity">Its <c>process</c> activity, when someone listens.</param>
/// <param name="FirstStarted">When its first attempt started (<see cref="Stopwatch"/> ticks), for the duration across retries.</param>
/// <param name="Tags">Its metric tags (group, topic, partition), made once per attempt.</param>
internal readonly record struct MessageTrace(Activity? Activity, long FirstStarted, TagList Tags);
