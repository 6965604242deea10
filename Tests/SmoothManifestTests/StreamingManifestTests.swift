import Foundation
import MediaCore
import SmoothManifest
import TestSupport
import Testing

/// The DASH MPD and HLS playlists of the docs/format.md §4.6 example, with byte ranges laid out as the
/// muxer lays them out (init, then moof+mdat per fragment, then mfra), read back with ``SegmentListing``.
@Suite struct StreamingManifestTests {
    /// Each file: an init of 700 bytes, fragment k of 10_000 + 1000·k bytes (+ a track-dependent amount), 200-byte mfra.
    static func segmented(_ tracks: [ManifestTrack] = Example46.tracks) -> [SegmentedTrack] {
        tracks.enumerated().map { n, t in
            var offset: Int64 = 700
            let segments = t.fragments.indices.map { k -> Range<Int64> in
                let size = Int64(10_000 + 1000 * k + 37 * n)
                defer { offset += size }
                return offset..<(offset + size)
            }
            return SegmentedTrack(track: t, initialization: 0..<700, segments: segments, fileSize: offset + 200)
        }
    }

    @Test func codecStringsComeFromTheSPSAndTheASC() throws {
        guard case .video(let v) = Example46.tracks[0].codec, case .audio(let a) = Example46.tracks[3].codec else {
            Issue.record("example tracks changed")
            return
        }
        #expect(try CodecStrings.codecs(v) == "avc1.64001F")
        #expect(try CodecStrings.codecs(a) == "mp4a.40.2")
        var he = a
        he.audioSpecificConfig = [0x2B, 0x92, 0x08, 0x00]  // audioObjectType 5 (SBR)
        #expect(try CodecStrings.codecs(he) == "mp4a.40.5")
        he.audioSpecificConfig = [0xF8, 0x20]  // escaped: 32 + 1
        #expect(try CodecStrings.codecs(he) == "mp4a.40.33")
        he.audioSpecificConfig = []
        #expect(throws: ManifestError.self) { try CodecStrings.codecs(he) }
        var short = v
        short.sps = [0x67, 0x64]
        #expect(throws: ManifestError.self) { try CodecStrings.codecs(short) }
    }

    @Test func mpdListsEveryFragmentAtTheSmoothTimesAndRanges() throws {
        let tracks = Self.segmented()
        let mpd = try MPDBuilder(presentation: "presentation").build(tracks)
        let smooth = try Example46.build()
        let (duration, reps) = try SegmentListing.mpd(Array(mpd.utf8))
        #expect(duration == smooth.client.duration)
        #expect(reps.count == tracks.count)
        #expect(mpd.components(separatedBy: "<AdaptationSet").count - 1 == 2)
        #expect(mpd.contains(#"lang="eng""#))
        #expect(mpd.contains(#"frameRate="25""#) && mpd.contains(#"sar="1:1""#) && mpd.contains(#"width="1280""#))
        #expect(mpd.contains(#"<AudioChannelConfiguration"#) && mpd.contains(#"audioSamplingRate="48000""#))
        for (rep, t) in zip(reps, tracks) {
            #expect(rep.file == t.track.source)
            #expect(rep.initialization == t.initialization)
            #expect(rep.segments.map(\.range) == t.segments)
            #expect(rep.segments.map(\.time) == t.track.fragments.map(\.time))
            #expect(rep.segments.map(\.duration) == t.track.fragments.map(\.duration))
            #expect(rep.codecs == (t.track.kind == .video ? "avc1.64001F" : "mp4a.40.2"))
            #expect(rep.bandwidth == t.peakBitrate)
            let stream = try #require(smooth.client.streams.first { $0.type == t.track.kind })
            #expect(rep.segments.map(\.time) == stream.chunks.map(\.time))
        }
        // one S per fragment, no r (dashdemux pairs S elements with SegmentURLs)
        #expect(mpd.components(separatedBy: "<S ").count - 1 == tracks.reduce(0) { $0 + $1.segments.count })
        #expect(!mpd.contains(" r=\""))
    }

    @Test func playlistsListEveryFragmentWithExactDurations() throws {
        let tracks = Self.segmented()
        let files = try HLSPlaylistBuilder(presentation: "presentation").build(tracks)
        #expect(files.map(\.name) == ["presentation.m3u8"] + tracks.map {
            HLSPlaylistBuilder.mediaPlaylistName(for: $0.track.source)
        })
        let master = files[0].contents
        let lines = master.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(3)) == ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"])
        let variants = lines.filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }
        #expect(variants.count == 3)
        let media = lines.filter { $0.hasPrefix("#EXT-X-MEDIA:") }
        #expect(media.count == 1)
        #expect(SegmentListing.attribute("LANGUAGE", in: media[0]) == "eng")
        #expect(SegmentListing.attribute("DEFAULT", in: media[0]) == "YES")
        #expect(SegmentListing.attribute("URI", in: media[0]) == "presentation_a128k.m3u8")
        for (v, t) in zip(variants, tracks) {
            #expect(SegmentListing.attribute("BANDWIDTH", in: v) == "\(t.peakBitrate + tracks[3].peakBitrate)")
            #expect(SegmentListing.attribute("AVERAGE-BANDWIDTH", in: v) == "\(t.averageBitrate + tracks[3].averageBitrate)")
            #expect(SegmentListing.attribute("CODECS", in: v) == "avc1.64001F,mp4a.40.2")
            #expect(SegmentListing.attribute("FRAME-RATE", in: v) == "25.000")
            #expect(SegmentListing.attribute("AUDIO", in: v) == "audio")
        }
        #expect(SegmentListing.attribute("RESOLUTION", in: variants[1]) == "960x540")
        for (file, t) in zip(files.dropFirst(), tracks) {
            let listing = try SegmentListing.mediaPlaylist(file.contents, id: file.name)
            #expect(listing.file == t.track.source)
            #expect(listing.initialization == t.initialization)
            #expect(listing.segments.map(\.range) == t.segments)
            #expect(listing.segments.map(\.time) == t.track.fragments.map(\.time))
            #expect(listing.segments.reduce(0) { $0 + $1.duration } == t.track.fragments.last.map { $0.end })
        }
        // 2 s fragments: target 2; audio fragments of 94 AAC frames (2.0053 s) round up to 3
        #expect(files[1].contents.contains("#EXT-X-TARGETDURATION:2\n"))
        #expect(files[4].contents.contains("#EXT-X-TARGETDURATION:3\n"))
        #expect(files[4].contents.contains("#EXTINF:2.0053333,\n"))
    }

    @Test func audioOnlyPresentationsGetOneVariantPerAudioFile() throws {
        let files = try HLSPlaylistBuilder(presentation: "p").build(Self.segmented([Example46.tracks[3]]))
        let variants = files[0].contents.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }
        #expect(variants.count == 1)
        #expect(SegmentListing.attribute("CODECS", in: String(variants[0])) == "mp4a.40.2")
        #expect(!files[0].contents.contains("#EXT-X-MEDIA:"))
    }

    @Test func badByteRangesAreRefused() {
        var tracks = Self.segmented()
        tracks[1].segments[2] = tracks[1].segments[2].lowerBound + 1..<tracks[1].segments[2].upperBound  // gap
        #expect(throws: ManifestError.self) { try MPDBuilder(presentation: "p").build(tracks) }
        #expect(throws: ManifestError.self) { try HLSPlaylistBuilder(presentation: "p").build(tracks) }
        tracks = Self.segmented()
        tracks[0].segments.removeLast()
        #expect(throws: ManifestError.self) { try MPDBuilder(presentation: "p").build(tracks) }
        tracks = Self.segmented()
        tracks[2].fileSize = tracks[2].segments.last!.upperBound - 1
        #expect(throws: ManifestError.self) { try HLSPlaylistBuilder(presentation: "p").build(tracks) }
        tracks = Self.segmented()
        tracks[3].initialization = 1..<700
        #expect(throws: ManifestError.self) { try MPDBuilder(presentation: "p").build(tracks) }
    }

    @Test func secondsParseExactly() {
        #expect(SegmentListing.parseSeconds("2.0053333") == 20_053_333)
        #expect(SegmentListing.parseSeconds("2") == 20_000_000)
        #expect(SegmentListing.parseSeconds("0.5") == 5_000_000)
        #expect(SegmentListing.parseSeconds("1.00000001") == nil)
        #expect(SegmentListing.parseSeconds("-1") == nil)
        #expect(SegmentListing.parseSeconds("x") == nil)
    }
}
