namespace Vlm.Pipeline.Serve;

/// <summary>Recognises the image formats the tower's decoder reads from their first bytes, not from the name the browser sent.</summary>
internal static class UploadedImage
{
    public const string Accepted = "PNG, JPEG, GIF, BMP or WebP";

    /// <summary>The format's name, or null when the bytes are none of <see cref="Accepted"/>.</summary>
    public static string? Format(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "PNG",
        [0xFF, 0xD8, 0xFF, ..] => "JPEG",
        [0x47, 0x49, 0x46, 0x38, ..] => "GIF",
        [0x42, 0x4D, ..] => "BMP",
        [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..] => "WebP",
        _ => null,
    };
}
