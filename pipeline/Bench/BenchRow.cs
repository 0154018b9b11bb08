namespace Vlm.Pipeline.Bench;

/// <summary>
/// One line of the benchmark table: what was measured, our number, the peer's number measured in
/// the same run, and their ratio against the target ratio (null where there is no target).
/// </summary>
internal sealed record BenchRow(string Area, string Measure, string Unit, double Ours, string Peer, double PeerValue, double? Target, string Note = "")
{
    public double Ratio => PeerValue == 0 ? 0 : Ours / PeerValue;
    public bool? Met => Target is { } t ? Ratio >= t : null;
}
