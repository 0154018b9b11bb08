using System.Security.Cryptography;
using Vlm.Datasets.IO;
using Vlm.Datasets.Images;

namespace Vlm.Transforms.Images;

/// <summary>An image a record refers to, resolved under its root and checked; or why it cannot be used.</summary>
public sealed record ImageReference(string RelativePath, string? FullPath, string? Sha256, int Width, int Height, string? RejectReason)
{
    public bool IsRejected => RejectReason is not null;

    /// <summary>The largest image file read (bytes); a larger one is a reject, not a 2 GB read.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>
    /// Resolves <paramref name="reference"/> under <paramref name="root"/>: the path must stay inside
    /// the root (no "..", no absolute path, no symbolic link anywhere in it leading out: the real
    /// paths of both are compared), the file must exist, be non-empty, at most
    /// <see cref="MaxFileBytes"/>, within the decoder's pixel budget by its header, and decode as an
    /// image with the decoder training and prediction use (<see cref="ImageDecoder"/>), so an image
    /// the ETL accepts is one the model can read. The content hash is SHA-256 of the file's bytes,
    /// read once for both hashing and decoding. Every problem is this record's reject, never the run's.
    /// </summary>
    public static ImageReference Resolve(string root, string reference, long maxPixels = ImageDecoder.DefaultMaxPixels)
    {
        string relative = reference.Replace('\\', '/');
        if (relative.Length == 0 || relative.Contains('\0')) return Reject(relative, "image path is not a valid path");
        if (Path.IsPathRooted(relative) || relative.Split('/').Contains(".."))
            return Reject(relative, "image path escapes the image root");
        string fullRoot = RealPath.Of(root) ?? Path.GetFullPath(root);
        string full = Path.GetFullPath(Path.Combine(fullRoot, relative));
        if (!RealPath.IsInside(fullRoot, full)) return Reject(relative, "image path escapes the image root");
        var info = new FileInfo(full);
        if (!info.Exists) return Reject(relative, "image file not found");
        if (RealPath.Of(full) is not { } real || !RealPath.IsInside(fullRoot, real)) return Reject(relative, "image path escapes the image root");
        if (info.Length == 0) return Reject(relative, "image file is empty");
        if (info.Length > MaxFileBytes) return Reject(relative, $"image file is too large: {info.Length} bytes (at most {MaxFileBytes})");

        try
        {
            byte[] bytes = File.ReadAllBytes(real);
            var image = ImageDecoder.Decode(bytes, full, maxPixels);
            return new ImageReference(relative, full, Convert.ToHexStringLower(SHA256.HashData(bytes)), image.Width, image.Height, null);
        }
        catch (ImageTooLargeException e)
        {
            return Reject(relative, $"image is too large: {e.Pixels} pixels (at most {maxPixels})");
        }
        catch (InvalidDataException)
        {
            return Reject(relative, "image does not decode");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Reject(relative, $"image file cannot be read: {e.GetType().Name}");
        }
    }

    static ImageReference Reject(string relative, string reason) => new(relative, null, null, 0, 0, reason);
}
