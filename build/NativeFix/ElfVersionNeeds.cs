// Marks a shared library's unmet, unused symbol-version requirements WEAK so that the dynamic
// linker loads it on hosts whose libstdc++ is older than the one it was built against.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so asks libstdc++.so.6 for GLIBCXX_3.4.32 (GCC 13), whose
// only symbol there is std::ios_base_library_init(). No relocation uses that symbol, so the library
// works with an older libstdc++; only the hard version check stops it. A WEAK version need
// (VER_FLG_WEAK in .gnu.version_r) turns that hard failure into nothing. A version is weakened only
// when every dynamic symbol bound to it is unused by relocations; otherwise the file is left alone.
//
// This file is compiled twice: into the MSBuild inline task (build/TorchSharpNativeFix.targets),
// and into the app and tests (with VLM_NO_MSBUILD_TASK defined) so that `vlm doctor` and the tests
// use the same reader. It is written for the older C# the task compiler accepts.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Vlm.NativeFix
{
    /// <summary>One version that a library needs from another library (an ELF Vernaux entry).</summary>
    internal sealed class ElfVersionNeed
    {
        public string File = "";
        public string Version = "";
        public int Index;
        public bool Weak;
        internal long FlagsOffset;
    }

    /// <summary>Reads and edits the symbol-version requirements of an ELF64 little-endian shared library.</summary>
    internal static class ElfVersionNeeds
    {
        const uint ShtRela = 4, ShtDynsym = 11, ShtRel = 9;
        const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
        const ushort VerFlgWeak = 0x2;

        sealed class Section
        {
            public uint Type, Link, Info;
            public long Offset, Size, EntSize;
        }

        /// <summary>Lists every version the library needs, with the file it needs it from.</summary>
        public static List<ElfVersionNeed> ReadNeeds(byte[] elf)
        {
            var sections = ReadSections(elf);
            var needs = new List<ElfVersionNeed>();
            foreach (var s in sections)
            {
                if (s.Type != ShtGnuVerneed) continue;
                var strtab = sections[(int)s.Link];
                long at = s.Offset;
                for (uint i = 0; i < s.Info; i++)
                {
                    ushort cnt = U16(elf, at + 2);
                    string file = Str(elf, strtab, U32(elf, at + 4));
                    long aux = at + U32(elf, at + 8);
                    for (int j = 0; j < cnt; j++)
                    {
                        needs.Add(new ElfVersionNeed
                        {
                            File = file,
                            Version = Str(elf, strtab, U32(elf, aux + 8)),
                            Index = U16(elf, aux + 6) & 0x7fff,
                            Weak = (U16(elf, aux + 4) & VerFlgWeak) != 0,
                            FlagsOffset = aux + 4,
                        });
                        uint nextAux = U32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, at + 12);
                    if (next == 0) break;
                    at += next;
                }
            }
            return needs;
        }

        /// <summary>Lists the versions a library defines (its .gnu.version_d names).</summary>
        public static HashSet<string> ReadDefinitions(byte[] elf)
        {
            var sections = ReadSections(elf);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in sections)
            {
                if (s.Type != ShtGnuVerdef) continue;
                var strtab = sections[(int)s.Link];
                long at = s.Offset;
                for (uint i = 0; i < s.Info; i++)
                {
                    ushort cnt = U16(elf, at + 6);
                    long aux = at + U32(elf, at + 12);
                    for (int j = 0; j < cnt; j++)
                    {
                        names.Add(Str(elf, strtab, U32(elf, aux)));
                        uint nextAux = U32(elf, aux + 4);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, at + 16);
                    if (next == 0) break;
                    at += next;
                }
            }
            return names;
        }

        /// <summary>
        /// True when no relocation refers to a dynamic symbol bound to version <paramref name="index"/>,
        /// so that weakening that version cannot leave a used symbol unresolved.
        /// </summary>
        public static bool IsVersionUnusedByRelocations(byte[] elf, int index)
        {
            var sections = ReadSections(elf);
            int dynsym = -1;
            for (int i = 0; i < sections.Count; i++) if (sections[i].Type == ShtDynsym) dynsym = i;
            if (dynsym < 0) return false;
            var bound = new HashSet<long>();
            foreach (var s in sections)
            {
                if (s.Type != ShtGnuVersym) continue;
                for (long k = 0; k < s.Size / 2; k++)
                    if ((U16(elf, s.Offset + 2 * k) & 0x7fff) == index) bound.Add(k);
            }
            foreach (var s in sections)
            {
                if ((s.Type != ShtRela && s.Type != ShtRel) || s.Link != dynsym) continue;
                long entSize = s.EntSize != 0 ? s.EntSize : (s.Type == ShtRela ? 24 : 16);
                for (long at = s.Offset; at + entSize <= s.Offset + s.Size; at += entSize)
                    if (bound.Contains((long)(U64(elf, at + 8) >> 32))) return false;
            }
            return true;
        }

        /// <summary>
        /// The needs from <paramref name="fromFile"/> that the host library (whose defined versions are
        /// <paramref name="hostDefines"/>) cannot meet and that are still hard requirements.
        /// </summary>
        public static List<ElfVersionNeed> UnmetNeeds(byte[] elf, string fromFile, HashSet<string> hostDefines)
        {
            var unmet = new List<ElfVersionNeed>();
            foreach (var need in ReadNeeds(elf))
                if (need.File == fromFile && !need.Weak && !hostDefines.Contains(need.Version)) unmet.Add(need);
            return unmet;
        }

        /// <summary>
        /// Weakens the unmet needs in place (in the byte array). Returns the weakened versions, or throws
        /// when one of them is bound to a symbol that a relocation uses (weakening would be unsafe).
        /// </summary>
        public static List<string> WeakenUnmet(byte[] elf, string fromFile, HashSet<string> hostDefines)
        {
            var done = new List<string>();
            foreach (var need in UnmetNeeds(elf, fromFile, hostDefines))
            {
                if (!IsVersionUnusedByRelocations(elf, need.Index))
                    throw new InvalidDataException(
                        "version " + need.Version + " of " + fromFile + " is used by a relocation; marking it weak would leave a symbol unresolved");
                ushort flags = (ushort)(U16(elf, need.FlagsOffset) | VerFlgWeak);
                elf[need.FlagsOffset] = (byte)(flags & 0xff);
                elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
                done.Add(need.Version);
            }
            return done;
        }

        /// <summary>
        /// Weakens the unmet needs of the library at <paramref name="path"/>, replacing the file
        /// atomically (a new inode, so a hard link into a package cache is never written through).
        /// Returns the weakened versions; an empty list means the file was left untouched.
        /// </summary>
        public static List<string> WeakenUnmetInFile(string path, string fromFile, HashSet<string> hostDefines)
        {
            byte[] elf = System.IO.File.ReadAllBytes(path);
            var done = WeakenUnmet(elf, fromFile, hostDefines);
            if (done.Count == 0) return done;
            string temp = path + ".weak-" + Guid.NewGuid().ToString("N") + ".tmp";
            // Copy first so that the new file keeps the original's permissions, then overwrite its bytes.
            System.IO.File.Copy(path, temp, true);
            using (var stream = new FileStream(temp, FileMode.Truncate, FileAccess.Write))
                stream.Write(elf, 0, elf.Length);
            System.IO.File.Replace(temp, path, null);
            return done;
        }

        /// <summary>
        /// The libstdc++ this host's dynamic linker gives a process: the one mapped into the current
        /// process when there is one (the .NET host links it), else the first in the usual folders.
        /// </summary>
        public static string? FindHostLibStdCxx()
        {
            const string name = "libstdc++.so.6";
            try
            {
                foreach (var line in System.IO.File.ReadLines("/proc/self/maps"))
                {
                    int slash = line.IndexOf('/');
                    if (slash >= 0 && line.EndsWith("/" + name, StringComparison.Ordinal)) return line.Substring(slash);
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            string[] dirs = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" };
            foreach (var dir in dirs)
            {
                string candidate = Path.Combine(dir, name);
                if (System.IO.File.Exists(candidate)) return candidate;
            }
            return null;
        }

        static List<Section> ReadSections(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3a), shnum = U16(elf, 0x3c);
            if (shentsize < 64 || shoff <= 0 || shoff + (long)shentsize * shnum > elf.Length)
                throw new InvalidDataException("section header table out of range");
            var list = new List<Section>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                var s = new Section
                {
                    Type = U32(elf, h + 4),
                    Offset = (long)U64(elf, h + 24),
                    Size = (long)U64(elf, h + 32),
                    Link = U32(elf, h + 40),
                    Info = U32(elf, h + 44),
                    EntSize = (long)U64(elf, h + 56),
                };
                if (s.Type != 8 /* SHT_NOBITS */ && (s.Offset < 0 || s.Size < 0 || s.Offset + s.Size > elf.Length))
                    throw new InvalidDataException("section " + i + " lies outside the file");
                if (s.Link >= shnum && s.Link != 0)
                    throw new InvalidDataException("section " + i + " links to a missing section");
                list.Add(s);
            }
            return list;
        }

        static string Str(byte[] elf, Section strtab, uint offset)
        {
            long start = strtab.Offset + offset;
            if (offset >= strtab.Size) throw new InvalidDataException("string offset outside its table");
            long end = start;
            while (end < strtab.Offset + strtab.Size && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        static ushort U16(byte[] b, long at) { Check(b, at, 2); return BitConverter.ToUInt16(b, (int)at); }
        static uint U32(byte[] b, long at) { Check(b, at, 4); return BitConverter.ToUInt32(b, (int)at); }
        static ulong U64(byte[] b, long at) { Check(b, at, 8); return BitConverter.ToUInt64(b, (int)at); }

        static void Check(byte[] b, long at, int size)
        {
            if (at < 0 || at + size > b.Length) throw new InvalidDataException("truncated ELF structure at offset " + at);
        }
    }
}

#if !VLM_NO_MSBUILD_TASK
namespace Vlm.NativeFix
{
    /// <summary>MSBuild task: weakens unmet libstdc++ version needs of the given copies of a library.</summary>
    public sealed class WeakenUnmetLibStdCxxVersions : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public override bool Execute()
        {
            string? host = ElfVersionNeeds.FindHostLibStdCxx();
            if (host == null)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "native fix: no libstdc++.so.6 found on this host; nothing to do");
                return true;
            }
            var defines = ElfVersionNeeds.ReadDefinitions(System.IO.File.ReadAllBytes(host));
            foreach (var item in Files)
            {
                string path = item.ItemSpec;
                try
                {
                    var done = ElfVersionNeeds.WeakenUnmetInFile(path, "libstdc++.so.6", defines);
                    if (done.Count > 0)
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                            "native fix: marked " + string.Join(", ", done) + " weak in " + path + " (host " + host + " lacks them)");
                }
                catch (InvalidDataException e)
                {
                    Log.LogError("native fix: cannot patch " + path + ": " + e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
}
#endif
