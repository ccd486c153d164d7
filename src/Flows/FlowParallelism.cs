namespace FastAD.Flows;

/// <summary>
/// Whether the flows' own loops (the large products of <see cref="SmallGemm"/>, the chunked evaluation and sampling passes)
/// may split their work over the cores. Not while the calling thread is one of several already sharing the cores, such as
/// an ensemble's members trained side by side: nested splitting then only adds hand-offs between busy threads. Every row
/// is computed the same way either way, so the numbers do not depend on it.
/// </summary>
internal static class FlowParallelism
{
    [ThreadStatic] private static int _serial;

    /// <summary>True inside <see cref="Serial"/> on this thread.</summary>
    public static bool IsSerial => _serial > 0;

    /// <summary>
    /// body(i, local) for i &lt; <paramref name="count"/>, each thread with its own <paramref name="newLocal"/>(): over the cores,
    /// or inside <see cref="Serial"/> a plain loop on the calling thread (Parallel.For would still hand its task to the pool).
    /// </summary>
    public static void For<TLocal>(int count, Func<TLocal> newLocal, Action<int, TLocal> body)
    {
        if (IsSerial)
        {
            if (count <= 0) return;
            var local = newLocal();
            for (int i = 0; i < count; i++) body(i, local);
            return;
        }
        Parallel.For(0, count, newLocal, (i, _, local) =>
        {
            body(i, local);
            return local;
        }, _ => { });
    }

    /// <summary>Keeps this thread's flow loops on this thread until disposed (nothing when <paramref name="when"/> is false).</summary>
    public static Scope Serial(bool when = true) => new(when);

    /// <summary>See <see cref="Serial"/>; default(Scope) does nothing.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _active;

        internal Scope(bool active)
        {
            _active = active;
            if (active) _serial++;
        }

        /// <summary>Leaves the scope.</summary>
        public void Dispose()
        {
            if (_active) _serial--;
        }
    }
}
