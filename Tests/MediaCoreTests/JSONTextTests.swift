import MediaCore
import Testing

@Suite struct JSONTextTests {
    /// Quotes, backslashes and control characters escaped (RFC 8259 §7); other characters, non-ASCII too, kept.
    @Test func quotedEscapesWhatJSONRequires() {
        #expect(JSONText.quoted("") == "\"\"")
        #expect(JSONText.quoted("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(JSONText.quoted("\n\r\t\u{01}\u{1F}") == "\"\\n\\r\\t\\u0001\\u001f\"")
        #expect(JSONText.quoted("é/😀 ") == "\"é/😀 \"")
    }
}
