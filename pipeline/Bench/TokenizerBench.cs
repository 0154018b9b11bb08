using System.Diagnostics;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// Tokens per second of our Qwen tokenizer against Hugging Face's Rust tokenizers (prebuilt for
/// Node) and its JavaScript port on the same lines, one thread each, with the ids compared.
/// </summary>
internal static class TokenizerBench
{
    public static IEnumerable<BenchRow> Run(string work, int lines, string peers, Action<string> log)
    {
        var corpus = BenchCorpus.Lines(lines);
        string corpusFile = Path.Combine(work, "corpus.txt");
        File.WriteAllLines(corpusFile, corpus);
        var tokenizer = QwenTokenizer.Load(BuiltInTokenizer.Folder);
        foreach (var line in corpus.Take(100)) tokenizer.Encode(line);
        var clock = Stopwatch.StartNew();
        var ids = corpus.Select(tokenizer.Encode).ToList();
        double seconds = clock.Elapsed.TotalSeconds;
        long tokens = ids.Sum(i => (long)i.Count);
        uint checksum = BenchCorpus.Checksum(ids);
        double ours = tokens / seconds;
        log($"tokenizer  ours: {tokens:N0} tokens from {lines:N0} lines in {seconds:F2} s");

        if (!NodePeers.Ready(peers, log)) return [new BenchRow("tokenizer", "tokens/s, single thread", "tokens/s", ours, "(peers not installed)", 0, 1.0, "node/npm missing")];
        var results = PeerProcess.Run("node", ["tokenize.mjs", Path.Combine(BuiltInTokenizer.Folder, TokenizerFolder.TokenizerJson),
            Path.Combine(BuiltInTokenizer.Folder, TokenizerFolder.TokenizerConfigJson), corpusFile], peers,
            new Dictionary<string, string> { ["RAYON_NUM_THREADS"] = "1", ["TOKENIZERS_PARALLELISM"] = "false" });
        return results.Select(r =>
        {
            string peer = r.GetProperty("peer").GetString()!;
            double peerSeconds = r.GetProperty("seconds").GetDouble();
            bool same = r.GetProperty("checksum").GetString() == checksum.ToString() && r.GetProperty("tokens").GetInt64() == tokens;
            log($"tokenizer  {peer}: {peerSeconds:F2} s, ids {(same ? "identical" : "DIFFERENT")}");
            bool rust = peer.Contains("Rust", StringComparison.Ordinal);
            return new BenchRow("tokenizer", $"tokens/s vs {peer}", "tokens/s", ours, peer, r.GetProperty("tokens").GetInt64() / peerSeconds,
                rust ? 1.0 : null, same ? "same ids" : "ids differ");
        }).ToList();
    }
}

/// <summary>The Node peers' packages (benchmarks/node), installed from the lock file on first use.</summary>
internal static class NodePeers
{
    public static bool Ready(string folder, Action<string> log)
    {
        if (Directory.Exists(Path.Combine(folder, "node_modules", "@anush008", "tokenizers"))) return true;
        try
        {
            log($"tokenizer  installing the peers: npm ci in {folder}");
            PeerProcess.Run("npm", ["ci", "--no-audit", "--no-fund"], folder, timeout: TimeSpan.FromMinutes(5));
            return true;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or TimeoutException)
        {
            log($"tokenizer  peers unavailable: {e.Message}");
            return false;
        }
    }
}
