using System.Runtime.InteropServices;

namespace Vlm.Pipeline.Cli;

/// <summary>
/// SIGTERM and SIGINT as a request to stop at the next safe point (Slurm, Kubernetes and
/// <c>srun --signal</c> send SIGTERM some time before killing): the first cancels <see cref="Token"/>
/// instead of ending the process; a second one ends it at once, as usual.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly PosixSignalRegistration[] _registrations;

    StopSignals()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle), PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle)];
    }

    public static StopSignals Create() => new();

    public CancellationToken Token => _stop.Token;

    /// <summary>The signal that asked to stop ("SIGTERM" or "SIGINT"), or null.</summary>
    public string? Signal { get; private set; }

    void Handle(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return; // the second signal: the default action ends the process
        context.Cancel = true;
        Signal = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
        Console.Error.WriteLine($"{Signal}: stopping after the current step and writing a checkpoint (send it again to stop at once)");
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stop.Dispose();
    }
}
