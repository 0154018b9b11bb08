using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Vlm.Trainers.Distributed;

/// <summary>
/// The one exchange NCCL needs before its own transport exists, for launchers without MPI (torchrun):
/// rank 0's payload (NCCL's 128-byte id) to every rank over TCP at <c>MASTER_ADDR</c>. torchrun's agent
/// holds <c>MASTER_PORT</c> itself, so the rendezvous listens on <c>VLM_RENDEZVOUS_PORT</c>, by default
/// <c>MASTER_PORT + 1</c>. Every rank sends the run's fingerprint; rank 0 answers only when all have come,
/// and refuses them all when one was started with another command or world, so no rank goes on alone.
/// A rank that finds no rendezvous within the timeout (<c>VLM_RENDEZVOUS_TIMEOUT</c> seconds, 300 by
/// default) says where it looked.
/// </summary>
internal static class TcpRendezvous
{
    static readonly byte[] Magic = Encoding.ASCII.GetBytes("vlm-rendezvous-1");
    static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    const byte Accepted = 0, Refused = 1;

    /// <summary>The address and port the rendezvous of <paramref name="world"/> uses.</summary>
    public static IPEndPoint EndPoint(DistributedWorld world, Func<string, string?> environment)
    {
        string address = world.MasterAddress ?? throw new InvalidOperationException(
            $"{world}: MASTER_ADDR is not set, and NCCL's id goes from rank 0 to the others over TCP when MPI did not start the ranks; torchrun sets it (under srun, set MASTER_ADDR to the first node and MASTER_PORT, or add --mpi=pmix)");
        int port = environment("VLM_RENDEZVOUS_PORT") is { } text
            ? int.TryParse(text, out int p) && p is > 0 and < 65536 ? p : throw new ArgumentException($"the environment variable VLM_RENDEZVOUS_PORT={text} is not a port")
            : world.MasterPort is { } master ? master + 1 : throw new InvalidOperationException($"{world}: neither VLM_RENDEZVOUS_PORT nor MASTER_PORT is set: the rendezvous has no port");
        var ip = IPAddress.TryParse(address, out var parsed) ? parsed
            : Dns.GetHostAddresses(address).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new InvalidOperationException($"MASTER_ADDR={address} does not resolve to an IPv4 address");
        return new IPEndPoint(ip, port);
    }

    public static TimeSpan Timeout(Func<string, string?> environment) => environment("VLM_RENDEZVOUS_TIMEOUT") is { } text
        ? double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0 ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"the environment variable VLM_RENDEZVOUS_TIMEOUT={text} is not a positive number of seconds")
        : TimeSpan.FromSeconds(300);

    /// <summary>Rank 0's <paramref name="payload"/> on every rank (the others' is not read); throws on every rank when the ranks differ in <paramref name="fingerprint"/>.</summary>
    public static byte[] Exchange(DistributedWorld world, IPEndPoint at, byte[] payload, string fingerprint, TimeSpan timeout)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{world.Size}\n{fingerprint}"));
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return world.IsMain ? Serve(world, at, payload, hash, deadline.Token) : Join(world, at, hash, deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(world.IsMain
                ? $"rank 0: not every rank came to the rendezvous at {at} within {timeout.TotalSeconds:0} s (VLM_RENDEZVOUS_TIMEOUT); did the others start, with the same MASTER_ADDR and port?"
                : $"rank {world.Rank}: no rendezvous at {at} within {timeout.TotalSeconds:0} s (VLM_RENDEZVOUS_TIMEOUT); is rank 0 running, and are MASTER_ADDR and VLM_RENDEZVOUS_PORT (default MASTER_PORT + 1) the same for every rank?");
        }
    }

    static byte[] Serve(DistributedWorld world, IPEndPoint at, byte[] payload, byte[] hash, CancellationToken deadline)
    {
        var listener = new TcpListener(IPAddress.Any, at.Port);
        try
        {
            listener.Start(world.Size);
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"rank 0: the rendezvous cannot listen on port {at.Port} ({e.Message}); choose a free one with VLM_RENDEZVOUS_PORT", e);
        }
        var joined = new Dictionary<int, TcpClient>();
        try
        {
            while (joined.Count < world.Size - 1)
            {
                var client = listener.AcceptTcpClientAsync(deadline).AsTask().GetAwaiter().GetResult();
                var stream = client.GetStream();
                byte[]? hello;
                using (var greeting = CancellationTokenSource.CreateLinkedTokenSource(deadline))
                {
                    // A connection that says nothing (a port probe) is dropped after a while, not waited for until the deadline.
                    greeting.CancelAfter(HelloTimeout);
                    try
                    {
                        hello = ReadExactly(stream, Magic.Length + 4 + hash.Length, greeting.Token);
                    }
                    catch (Exception e) when (!deadline.IsCancellationRequested && e is OperationCanceledException or IOException or EndOfStreamException)
                    {
                        hello = null;
                    }
                }
                if (hello is null)
                {
                    client.Dispose();
                    continue;
                }
                if (!hello.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                {
                    // Not this program (a port scan, a stale client of another protocol): refused, the run goes on waiting.
                    Answer(stream, Refused, Encoding.UTF8.GetBytes("not a rendezvous of this program"), deadline);
                    client.Dispose();
                    continue;
                }
                int rank = BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(Magic.Length));
                string? wrong = rank <= 0 || rank >= world.Size ? $"a rank {rank} came, outside a world of {world.Size}"
                    : joined.ContainsKey(rank) ? $"rank {rank} came twice"
                    : !hello.AsSpan(Magic.Length + 4).SequenceEqual(hash) ? $"rank {rank} was started with another command or world size than rank 0; every rank needs the same command"
                    : null;
                if (wrong is not null)
                {
                    // A misconfigured run: every rank that came hears why and ends, rather than one going on alone.
                    byte[] why = Encoding.UTF8.GetBytes(wrong);
                    Answer(stream, Refused, why, deadline);
                    client.Dispose();
                    foreach (var other in joined.Values) Answer(other.GetStream(), Refused, why, deadline);
                    throw new InvalidOperationException($"rank 0: {wrong}");
                }
                joined[rank] = client;
            }
            foreach (var client in joined.Values) Answer(client.GetStream(), Accepted, payload, deadline);
            return payload;
        }
        finally
        {
            foreach (var client in joined.Values) client.Dispose();
            listener.Stop();
        }
    }

    static byte[] Join(DistributedWorld world, IPEndPoint at, byte[] hash, CancellationToken deadline)
    {
        TcpClient client;
        while (true)
        {
            client = new TcpClient();
            try
            {
                client.ConnectAsync(at, deadline).AsTask().GetAwaiter().GetResult();
                break;
            }
            catch (SocketException)
            {
                // Rank 0 may not be listening yet: a failed socket is not reused.
                client.Dispose();
                Task.Delay(100, deadline).GetAwaiter().GetResult();
            }
        }
        using var connected = client;
        var stream = client.GetStream();
        var hello = new byte[Magic.Length + 4 + hash.Length];
        Magic.CopyTo(hello, 0);
        BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(Magic.Length), world.Rank);
        hash.CopyTo(hello, Magic.Length + 4);
        stream.WriteAsync(hello, deadline).AsTask().GetAwaiter().GetResult();
        byte status = ReadExactly(stream, 1, deadline)[0];
        int length = BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(stream, 4, deadline));
        byte[] body = ReadExactly(stream, length, deadline);
        return status == Accepted ? body : throw new InvalidOperationException($"rank {world.Rank}: refused by rank 0's rendezvous at {at}: {Encoding.UTF8.GetString(body)}");
    }

    static void Answer(NetworkStream stream, byte status, byte[] body, CancellationToken deadline)
    {
        var message = new byte[5 + body.Length];
        message[0] = status;
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(1), body.Length);
        body.CopyTo(message, 5);
        stream.WriteAsync(message, deadline).AsTask().GetAwaiter().GetResult();
    }

    static byte[] ReadExactly(NetworkStream stream, int count, CancellationToken deadline)
    {
        var buffer = new byte[count];
        stream.ReadExactlyAsync(buffer, deadline).AsTask().GetAwaiter().GetResult();
        return buffer;
    }
}
