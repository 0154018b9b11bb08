using System.Security.Cryptography;
using SkiaSharp;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Images;

namespace Vlm.Tests.Transforms.Images;

public class ImageReferenceTests
{
    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void A_good_image_resolves_with_its_size_and_content_hash(SKEncodedImageFormat format)
    {
        using var root = new TempFolder();
        string path = Path.Combine(root.Path, "train2017", "000000215677.jpg");
        TestImages.Write(path, 40, 30, format);
        var image = ImageReference.Resolve(root.Path, "train2017/000000215677.jpg");
        Assert.False(image.IsRejected, image.RejectReason);
        Assert.Equal((40, 30), (image.Width, image.Height));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), image.Sha256);
        Assert.Equal(path, image.FullPath);
    }

    [Theory]
    [InlineData("../outside.png")]
    [InlineData("a/../../outside.png")]
    [InlineData("/etc/passwd")]
    public void Paths_that_escape_the_root_are_rejected(string reference)
    {
        using var root = new TempFolder();
        Assert.Equal("image path escapes the image root", ImageReference.Resolve(root.Path, reference).RejectReason);
    }

    [Fact]
    public void A_symbolic_link_leading_out_of_the_root_is_rejected()
    {
        using var root = new TempFolder();
        using var elsewhere = new TempFolder();
        TestImages.Write(elsewhere.File("secret.png"), 4, 4);
        File.CreateSymbolicLink(root.File("link.png"), elsewhere.File("secret.png"));
        Assert.Equal("image path escapes the image root", ImageReference.Resolve(root.Path, "link.png").RejectReason);
    }

    [Fact]
    public void Missing_empty_and_corrupt_images_are_rejected_each_with_its_reason()
    {
        using var root = new TempFolder();
        File.WriteAllBytes(root.File("empty.jpg"), []);
        File.WriteAllText(root.File("text.jpg"), "this is not an image");
        Assert.Equal("image file not found", ImageReference.Resolve(root.Path, "missing.jpg").RejectReason);
        Assert.Equal("image file is empty", ImageReference.Resolve(root.Path, "empty.jpg").RejectReason);
        Assert.Equal("image does not decode", ImageReference.Resolve(root.Path, "text.jpg").RejectReason);
    }

    [Fact]
    public void A_truncated_jpeg_is_rejected()
    {
        using var root = new TempFolder();
        TestImages.Write(root.File("full.jpg"), 64, 64, SKEncodedImageFormat.Jpeg);
        var bytes = File.ReadAllBytes(root.File("full.jpg"));
        File.WriteAllBytes(root.File("cut.jpg"), bytes[..20]);
        Assert.Equal("image does not decode", ImageReference.Resolve(root.Path, "cut.jpg").RejectReason);
    }

    [Fact]
    public void A_link_to_a_folder_anywhere_in_the_path_that_leads_out_of_the_root_is_rejected()
    {
        using var root = new TempFolder();
        using var elsewhere = new TempFolder();
        TestImages.Write(elsewhere.File("outside.png"), 4, 4);
        Directory.CreateDirectory(root.File("sub"));
        Directory.CreateSymbolicLink(root.File("sub/up"), elsewhere.Path);
        Assert.Equal("image path escapes the image root", ImageReference.Resolve(root.Path, "sub/up/outside.png").RejectReason);
        // A link that stays inside the root is followed.
        TestImages.Write(root.File("real/inside.png"), 4, 4);
        Directory.CreateSymbolicLink(root.File("sub/alias"), root.File("real"));
        Assert.False(ImageReference.Resolve(root.Path, "sub/alias/inside.png").IsRejected);
    }

    [Fact]
    public void Unusable_paths_and_oversized_files_are_this_records_reject_not_the_runs_failure()
    {
        using var root = new TempFolder();
        Assert.Equal("image path is not a valid path", ImageReference.Resolve(root.Path, "a\0b.png").RejectReason);
        Assert.Equal("image path is not a valid path", ImageReference.Resolve(root.Path, "").RejectReason);
        // A 3 GB sparse file: refused by its size, never read.
        using (var sparse = File.Create(root.File("huge.png"))) sparse.SetLength(3L << 30);
        Assert.StartsWith("image file is too large: 3221225472 bytes", ImageReference.Resolve(root.Path, "huge.png").RejectReason);
        Directory.CreateDirectory(root.File("folder.png"));
        Assert.Equal("image file not found", ImageReference.Resolve(root.Path, "folder.png").RejectReason);
    }

    [Fact]
    public void An_image_whose_header_claims_too_many_pixels_is_rejected_before_decoding()
    {
        using var root = new TempFolder();
        File.WriteAllBytes(root.File("bomb.png"), TestImages.PngClaiming(100_000, 100_000));
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal("image is too large: 10000000000 pixels (at most 89478485)", ImageReference.Resolve(root.Path, "bomb.png").RejectReason);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "no pixel memory is taken for a refused image");
        // The budget is the caller's: a 40 x 30 image over a 1000-pixel budget.
        TestImages.Write(root.File("small.png"), 40, 30);
        Assert.Equal("image is too large: 1200 pixels (at most 1000)", ImageReference.Resolve(root.Path, "small.png", maxPixels: 1000).RejectReason);
        Assert.False(ImageReference.Resolve(root.Path, "small.png", maxPixels: 1200).IsRejected);
    }
}
