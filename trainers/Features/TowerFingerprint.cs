using System.Security.Cryptography;
using System.Text;

namespace Vlm.Trainers.Features;

/// <summary>
/// What makes a tower's features what they are: its folder's configuration and weight files, byte for
/// byte, and which hidden state is taken (layer, first token dropped). Cached features made with another
/// fingerprint are another tower's (or another layer's) and are refused.
/// </summary>
internal static class TowerFingerprint
{
    public static string Of(string visionFolder, int layer, bool dropFirstToken)
    {
        if (!Directory.Exists(visionFolder)) throw new DirectoryNotFoundException($"{visionFolder}: no such vision folder");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(visionFolder)
            .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".bin", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var buffer = new byte[1 << 20];
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
            using var stream = File.OpenRead(file);
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
            hash.AppendData("\0"u8);
        }
        hash.AppendData(Encoding.UTF8.GetBytes($"layer={layer};drop_first_token={dropFirstToken}"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
