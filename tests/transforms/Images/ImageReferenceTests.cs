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
}
