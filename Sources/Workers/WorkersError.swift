/// A queue or worker failure, one line.
public struct WorkersError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// A bad command line or URL.
        case usage
        /// The database could not be reached or answered with an error.
        case database
        /// The schema is missing, or newer than this build knows.
        case schema
        /// A source could not be fetched or did not match its fingerprint.
        case source
        /// The job's lease was lost (expired, reclaimed or cancelled): nothing more of it is published.
        case leaseLost
        /// A job does not exist or is in the wrong state for the request.
        case job
        /// This host cannot do any job: S3 refuses its credentials (wrong or expired keys, a skewed clock).
        case host
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
