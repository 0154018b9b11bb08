using System.Text;

namespace Vlm.Tests.TestSupport;

/// <summary>
/// A seeded mutation fuzzer: valid inputs altered the ways files break in practice (a flipped bit, a
/// byte replaced by a structural character, a range cut out or repeated, random bytes inserted, the
/// end cut off, a number made enormous), a few edits per case. The same seed gives the same cases,
/// so a failure names the case that reproduces it.
/// </summary>
internal sealed class Mutator(int seed)
{
    static readonly byte[] Interesting = [0, 0xFF, 0x7F, 0x80, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'0', (byte)'9', (byte)'-', (byte)'e', (byte)'\\', (byte)'\n'];
    readonly Random _random = new(seed);
    static int s_cases;

    /// <summary>Cases run so far in this process (the fuzz tests print it).</summary>
    public static int CasesRun => s_cases;

    public byte[] Mutate(byte[] input)
    {
        var bytes = new List<byte>(input);
        int edits = 1 + _random.Next(4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = _random.Next(bytes.Count);
            int length = Math.Min(1 + _random.Next(16), bytes.Count - at);
            switch (_random.Next(7))
            {
                case 0: bytes[at] ^= (byte)(1 << _random.Next(8)); break;
                case 1: bytes[at] = Interesting[_random.Next(Interesting.Length)]; break;
                case 2: bytes.RemoveRange(at, length); break;
                case 3: bytes.InsertRange(at, bytes.GetRange(at, length)); break;
                case 4: bytes.InsertRange(at, Enumerable.Range(0, length).Select(_ => (byte)_random.Next(256))); break;
                case 5: bytes.RemoveRange(at, bytes.Count - at); break;
                default:
                    int digit = bytes.FindIndex(at, b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit >= 0) bytes.InsertRange(digit, Encoding.ASCII.GetBytes(_random.Next(2) == 0 ? "99999999999999999999" : "-1"));
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>A failing case's input, kept in the temporary folder for a reproduction.</summary>
    static string Keep(string what, int c, byte[] input)
    {
        string path = Path.Combine(Path.GetTempPath(), $"vlm-fuzz-{what}-{c}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }

    /// <summary>
    /// Runs <paramref name="cases"/> mutants of <paramref name="seeds"/> through <paramref name="parse"/>.
    /// Each must finish within <paramref name="limit"/> and either succeed or throw an exception
    /// <paramref name="refusal"/> accepts (the parser's documented refusal); anything else fails with
    /// the case number. Returns how many cases ran and how many were refused.
    /// </summary>
    public static (int Cases, int Refused) Run(string what, int seed, int cases, IReadOnlyList<byte[]> seeds, Action<byte[]> parse, Func<Exception, bool> refusal, TimeSpan? limit = null)
    {
        // A deeper run than CI's: VLM_FUZZ_SCALE=20 VLM_FUZZ_SEED=7 dotnet test --filter Fuzz
        cases *= int.TryParse(Environment.GetEnvironmentVariable("VLM_FUZZ_SCALE"), out int scale) && scale > 0 ? scale : 1;
        seed += int.TryParse(Environment.GetEnvironmentVariable("VLM_FUZZ_SEED"), out int offset) ? offset * 1000 : 0;
        Interlocked.Add(ref s_cases, cases);
        var mutator = new Mutator(seed);
        int refused = 0;
        for (int c = 0; c < cases; c++)
        {
            var input = mutator.Mutate(seeds[c % seeds.Count]);
            var run = Task.Run(() => parse(input));
            if (!((IAsyncResult)run).AsyncWaitHandle.WaitOne(limit ?? TimeSpan.FromSeconds(10)))
                throw new TimeoutException($"{what}: case {c} (seed {seed}) ran past {limit ?? TimeSpan.FromSeconds(10)}; its input is {Keep(what, c, input)}");
            if (run.Exception?.InnerException is { } error)
            {
                if (!refusal(error)) throw new InvalidOperationException($"{what}: case {c} (seed {seed}) threw {error.GetType().Name}: {error.Message}; its input is {Keep(what, c, input)}", error);
                refused++;
            }
        }
        return (cases, refused);
    }
}
