using System.Security.Cryptography;
using Vlm.Datasets.Images;

namespace Vlm.Transforms.Images;

/// <summary>An image a record refers to, resolved under its root and checked; or why it cannot be used.</summary>
public sealed record ImageReference(string RelativePath, string? FullPath, string? Sha256, int Width, int Height, string? RejectReason)
{
    public bool IsRejected => RejectReason is not null;

    /// <summary>
    /// Resolves <paramref name="reference"/> under <paramref name="root"/>: the path must stay inside
    /// the root (no "..", no absolute path, no symbolic link leading out), the file must exist, be
    /// non-empty and decode as an image with the decoder training and prediction use
    /// (<see cref="ImageDecoder"/>), so an image the ETL accepts is one the model can read. The content
    /// hash is SHA-256 of the file's bytes, read once for both hashing and decoding.
    /// </summary>
    public static ImageReference Resolve(string root, string reference)
    {
        string relative = reference.Replace('\\', '/');
        if (Path.IsPathRooted(relative) || relative.Split('/').Contains(".."))
            return Reject(relative, "image path escapes the image root");
        string fullRoot = Path.GetFullPath(root);
        string full = Path.GetFullPath(Path.Combine(fullRoot, relative));
        if (!IsInside(fullRoot, full)) return Reject(relative, "image path escapes the image root");
        var info = new FileInfo(full);
        if (!info.Exists) return Reject(relative, "image file not found");
        if (info.LinkTarget is not null)
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !IsInside(fullRoot, target.FullName)) return Reject(relative, "image path escapes the image root");
        }
        if (info.Length == 0) return Reject(relative, "image file is empty");

        byte[] bytes = File.ReadAllBytes(full);
        try
        {
            var image = ImageDecoder.Decode(bytes, full);
            return new ImageReference(relative, full, Convert.ToHexStringLower(SHA256.HashData(bytes)), image.Width, image.Height, null);
        }
        catch (InvalidDataException)
        {
            return Reject(relative, "image does not decode");
        }
    }

    static bool IsInside(string root, string path)
    {
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal);
    }

    static ImageReference Reject(string relative, string reason) => new(relative, null, null, 0, 0, reason);
}
