// Up to four tests at once on two cores, where xunit's default is as many as the machine has cores.
// The tests mostly wait (group joins, session timeouts, fetch waits, the CLI's processes): with two
// at once a whole run used about a third of one core (4.5 min of CPU over 12.7 min), and the last
// collection ran on alone for over four minutes. The verify runs, which keep processes busy, are
// two collections (Cli/VerifyCollections.cs): at most two of them at once, as before.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
