internal import MediaCore

/// A JSON value with ordered object keys (templates read top-down as written).
public indirect enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// Pretty-printed with two-space indentation and a final newline.
    public func rendered() -> String {
        var out = ""
        write(&out, indent: 0)
        return out + "\n"
    }

    private func write(_ out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1), close = String(repeating: "  ", count: indent)
        switch self {
        case let .string(s): out += Self.quote(s)
        case let .int(i): out += String(i)
        case let .bool(b): out += b ? "true" : "false"
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(&out, indent: indent + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += close + "]"
        case let .object(pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (k, v)) in pairs.enumerated() {
                out += pad + Self.quote(k) + ": "
                v.write(&out, indent: indent + 1)
                out += i + 1 < pairs.count ? ",\n" : "\n"
            }
            out += close + "}"
        }
    }

    static func quote(_ s: String) -> String { JSONText.quoted(s) }
}

/// `smoothpack cloudfront`: a CloudFront distribution serving published presentations from a private S3 bucket.
public struct CloudFrontTemplate: Sendable {
    /// Price classes CloudFront accepts.
    public static let priceClasses = ["PriceClass_100", "PriceClass_200", "PriceClass_All"]

    /// Bucket name.
    public var bucket: String
    /// Key prefix the presentations live under ("" for the bucket root); becomes the origin path.
    public var prefix: String
    /// Whether the template creates the (private, encrypted) bucket too.
    public var createBucket: Bool
    /// Alternate domain names (need a certificate).
    public var aliases: [String]
    /// ACM certificate ARN (us-east-1) for the aliases.
    public var certificateArn: String?
    /// Price class.
    public var priceClass: String
    /// CORS origins allowed (`*` by default).
    public var corsOrigins: [String]

    /// Creates a template description.
    public init(bucket: String, prefix: String = "", createBucket: Bool = false, aliases: [String] = [],
                certificateArn: String? = nil, priceClass: String = "PriceClass_100", corsOrigins: [String] = ["*"]) {
        self.bucket = bucket
        self.prefix = prefix
        self.createBucket = createBucket
        self.aliases = aliases
        self.certificateArn = certificateArn
        self.priceClass = priceClass
        self.corsOrigins = corsOrigins
    }

    /// Checks the combination; one line per problem.
    public func validate() throws(PublishError) {
        guard (try? S3Location(parsing: "s3://\(bucket)")) != nil else {
            throw PublishError(.invalidArgument, "--bucket '\(bucket)' is not a valid S3 bucket name "
                               + "(3-63 characters: lower-case letters, digits, '-' and '.')")
        }
        guard Self.priceClasses.contains(priceClass) else {
            throw PublishError(.invalidArgument, "--price-class must be one of \(Self.priceClasses.joined(separator: ", "))")
        }
        if !aliases.isEmpty && certificateArn == nil {
            throw PublishError(.invalidArgument, "--aliases needs --certificate-arn (an ACM certificate in us-east-1)")
        }
        if let arn = certificateArn, !arn.hasPrefix("arn:aws:acm:us-east-1:") {
            throw PublishError(.invalidArgument, "--certificate-arn must be an ACM certificate in us-east-1 (arn:aws:acm:us-east-1:…)")
        }
    }

    /// The origin path (`/PREFIX`), or "" for the bucket root.
    var originPath: String { prefix.isEmpty ? "" : "/" + prefix }

    /// What players open, with `HOST` for the distribution's domain (or the first alias).
    public func playbackURLForm(host: String = "HOST") -> String {
        "https://\(aliases.first ?? host)/<stem>/<version>/<stem>.ism/Manifest"
    }

    /// The S3 object ARN pattern CloudFront may read.
    var objectArn: String { "arn:aws:s3:::\(bucket)/" + (prefix.isEmpty ? "*" : prefix + "/*") }

    /// Cache TTLs: objects carry their own `Cache-Control` (immutable for a year under version prefixes,
    /// short for the policy files); these bound it.
    static let defaultTTL = 86_400, maxTTL = 31_536_000

    // MARK: CloudFormation

    /// A CloudFormation template (JSON).
    public func cloudFormation() -> JSONValue {
        let bucketDomain: JSONValue = createBucket
            ? .object([("Fn::GetAtt", ["Bucket", "RegionalDomainName"])])
            : .object([("Fn::Sub", .string("\(bucket).s3.${AWS::Region}.amazonaws.com"))])
        let behaviour: [(String, JSONValue)] = [
            ("TargetOriginId", "s3-presentations"),
            ("ViewerProtocolPolicy", "redirect-to-https"),
            ("AllowedMethods", ["GET", "HEAD", "OPTIONS"]),
            ("CachedMethods", ["GET", "HEAD", "OPTIONS"]),
            ("Compress", true),
            ("CachePolicyId", .object([("Ref", "CachePolicy")])),
            ("ResponseHeadersPolicyId", .object([("Ref", "ResponseHeadersPolicy")])),
        ]
        var distribution: [(String, JSONValue)] = [
            ("Comment", .string("smoothpack: Smooth Streaming presentations from s3://\(bucket)\(originPath)")),
            ("Enabled", true),
            ("HttpVersion", "http2and3"),
            ("IPV6Enabled", true),
            ("PriceClass", .string(priceClass)),
            ("Origins", [.object([
                ("Id", "s3-presentations"),
                ("DomainName", bucketDomain),
                ("OriginPath", .string(originPath)),
                ("S3OriginConfig", .object([("OriginAccessIdentity", "")])),
                ("OriginAccessControlId", .object([("Fn::GetAtt", ["OriginAccessControl", "Id"])])),
            ])]),
            ("DefaultCacheBehavior", .object(behaviour)),
            // Smooth Streaming only where CloudFront must answer Smooth URLs from the .ism; the DASH MPD, the HLS
            // playlists and the byte ranges of .ismv/.isma they name go through the default behaviour.
            ("CacheBehaviors", [.object([("PathPattern", "*.ism/*"), ("SmoothStreaming", true)] + behaviour)]),
        ]
        if !aliases.isEmpty { distribution.append(("Aliases", .array(aliases.map { .string($0) }))) }
        if let arn = certificateArn {
            distribution.append(("ViewerCertificate", .object([
                ("AcmCertificateArn", .string(arn)), ("SslSupportMethod", "sni-only"), ("MinimumProtocolVersion", "TLSv1.2_2021"),
            ])))
        } else {
            distribution.append(("ViewerCertificate", .object([("CloudFrontDefaultCertificate", true)])))
        }

        var resources: [(String, JSONValue)] = []
        if createBucket {
            resources.append(("Bucket", .object([
                ("Type", "AWS::S3::Bucket"),
                ("DeletionPolicy", "Retain"),
                ("UpdateReplacePolicy", "Retain"),
                ("Properties", .object([
                    ("BucketName", .string(bucket)),
                    ("PublicAccessBlockConfiguration", .object([
                        ("BlockPublicAcls", true), ("BlockPublicPolicy", true), ("IgnorePublicAcls", true),
                        ("RestrictPublicBuckets", true),
                    ])),
                    ("OwnershipControls", .object([("Rules", [.object([("ObjectOwnership", "BucketOwnerEnforced")])])])),
                    ("BucketEncryption", .object([("ServerSideEncryptionConfiguration", [.object([
                        ("ServerSideEncryptionByDefault", .object([("SSEAlgorithm", "AES256")])),
                    ])])])),
                ])),
            ])))
        }
        resources.append(("OriginAccessControl", .object([
            ("Type", "AWS::CloudFront::OriginAccessControl"),
            ("Properties", .object([("OriginAccessControlConfig", .object([
                ("Name", .object([("Fn::Sub", "${AWS::StackName}-oac")])),
                ("Description", "smoothpack: CloudFront signs its requests to the private bucket"),
                ("OriginAccessControlOriginType", "s3"),
                ("SigningBehavior", "always"),
                ("SigningProtocol", "sigv4"),
            ]))])),
        ])))
        resources.append(("CachePolicy", .object([
            ("Type", "AWS::CloudFront::CachePolicy"),
            ("Properties", .object([("CachePolicyConfig", .object([
                ("Name", .object([("Fn::Sub", "${AWS::StackName}-immutable")])),
                ("Comment", "Versioned names never change: honour the objects' Cache-Control (max-age up to a year); no cookies, headers or query strings in the key"),
                ("DefaultTTL", .int(Self.defaultTTL)),
                ("MaxTTL", .int(Self.maxTTL)),
                ("MinTTL", 0),
                ("ParametersInCacheKeyAndForwardedToOrigin", .object([
                    ("EnableAcceptEncodingGzip", true),
                    ("EnableAcceptEncodingBrotli", true),
                    ("CookiesConfig", .object([("CookieBehavior", "none")])),
                    ("HeadersConfig", .object([("HeaderBehavior", "none")])),
                    ("QueryStringsConfig", .object([("QueryStringBehavior", "none")])),
                ])),
            ]))])),
        ])))
        resources.append(("ResponseHeadersPolicy", .object([
            ("Type", "AWS::CloudFront::ResponseHeadersPolicy"),
            ("Properties", .object([("ResponseHeadersPolicyConfig", .object([
                ("Name", .object([("Fn::Sub", "${AWS::StackName}-cors")])),
                ("Comment", "CORS for browser players (dash.js and Smooth Streaming players in the browser)"),
                ("CorsConfig", .object([
                    ("AccessControlAllowCredentials", false),
                    ("AccessControlAllowHeaders", .object([("Items", ["*"])])),
                    ("AccessControlAllowMethods", .object([("Items", ["GET", "HEAD", "OPTIONS"])])),
                    ("AccessControlAllowOrigins", .object([("Items", .array(corsOrigins.map { .string($0) }))])),
                    ("AccessControlExposeHeaders", .object([("Items", ["Content-Length", "Content-Range", "ETag"])])),
                    ("AccessControlMaxAgeSec", 86_400),
                    ("OriginOverride", true),
                ])),
            ]))])),
        ])))
        resources.append(("Distribution", .object([
            ("Type", "AWS::CloudFront::Distribution"),
            ("Properties", .object([("DistributionConfig", .object(distribution))])),
        ])))
        resources.append(("BucketPolicy", .object([
            ("Type", "AWS::S3::BucketPolicy"),
            ("Properties", .object([
                ("Bucket", createBucket ? .object([("Ref", "Bucket")]) : .string(bucket)),
                ("PolicyDocument", .object([
                    ("Version", "2012-10-17"),
                    ("Statement", [.object([
                        ("Sid", "AllowThisDistributionOnly"),
                        ("Effect", "Allow"),
                        ("Principal", .object([("Service", "cloudfront.amazonaws.com")])),
                        ("Action", "s3:GetObject"),
                        ("Resource", .string(objectArn)),
                        ("Condition", .object([("StringEquals", .object([
                            ("AWS:SourceArn", .object([("Fn::Sub", "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Distribution}")])),
                        ]))])),
                    ])]),
                ])),
            ])),
        ])))

        var outputs: [(String, JSONValue)] = [
            ("DistributionId", .object([("Value", .object([("Ref", "Distribution")]))])),
            ("DistributionDomainName", .object([("Value", .object([("Fn::GetAtt", ["Distribution", "DomainName"])]))])),
            ("PlaybackURLForm", .object([
                ("Description", "Players open this URL (stem and version as published)"),
                ("Value", aliases.isEmpty
                    ? .object([("Fn::Sub", "https://${Distribution.DomainName}/<stem>/<version>/<stem>.ism/Manifest")])
                    : .string(playbackURLForm())),
            ])),
        ]
        if createBucket { outputs.append(("BucketName", .object([("Value", .object([("Ref", "Bucket")]))]))) }
        return .object([
            ("AWSTemplateFormatVersion", "2010-09-09"),
            ("Description", .string("smoothpack: CloudFront (Smooth Streaming) in front of private s3://\(bucket)\(originPath)")),
            ("Resources", .object(resources)),
            ("Outputs", .object(outputs)),
        ])
    }

    // MARK: DistributionConfig (CreateDistribution API)

    /// AWS managed policies used by the API form (the template creates its own instead).
    static let managedCachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
    static let managedCORSWithPreflight = "5cc3b908-e619-4b99-88e5-2cf7f45965bd"

    /// `DistributionConfig` for `aws cloudfront create-distribution --distribution-config file://…`.
    /// The origin access control must exist: pass its id (`aws cloudfront create-origin-access-control`).
    public func distributionConfig(originAccessControlId: String, callerReference: String, region: String) -> JSONValue {
        func items(_ values: [String]) -> JSONValue {
            .object([("Quantity", .int(values.count)), ("Items", .array(values.map { .string($0) }))])
        }
        let methods: JSONValue = .object([
            ("Quantity", 3), ("Items", ["GET", "HEAD", "OPTIONS"]),
            ("CachedMethods", .object([("Quantity", 3), ("Items", ["GET", "HEAD", "OPTIONS"])])),
        ])
        func behaviour(_ pattern: String?) -> JSONValue {
            var b: [(String, JSONValue)] = []
            if let pattern { b.append(("PathPattern", .string(pattern))) }
            b += [
                ("TargetOriginId", "s3-presentations"),
                ("ViewerProtocolPolicy", "redirect-to-https"),
                ("AllowedMethods", methods),
                ("SmoothStreaming", .bool(pattern != nil)),
                ("Compress", true),
                ("CachePolicyId", .string(Self.managedCachingOptimized)),
                ("ResponseHeadersPolicyId", .string(Self.managedCORSWithPreflight)),
            ]
            return .object(b)
        }
        var config: [(String, JSONValue)] = [
            ("CallerReference", .string(callerReference)),
            ("Comment", .string("smoothpack: Smooth Streaming presentations from s3://\(bucket)\(originPath)")),
            ("Enabled", true),
            ("HttpVersion", "http2and3"),
            ("IsIPV6Enabled", true),
            ("PriceClass", .string(priceClass)),
            ("Origins", .object([("Quantity", 1), ("Items", [.object([
                ("Id", "s3-presentations"),
                ("DomainName", .string("\(bucket).s3.\(region).amazonaws.com")),
                ("OriginPath", .string(originPath)),
                ("S3OriginConfig", .object([("OriginAccessIdentity", "")])),
                ("OriginAccessControlId", .string(originAccessControlId)),
            ])])])),
            ("DefaultCacheBehavior", behaviour(nil)),
            ("CacheBehaviors", .object([("Quantity", 1), ("Items", [behaviour("*.ism/*")])])),
        ]
        config.append(("Aliases", items(aliases)))
        if let arn = certificateArn {
            config.append(("ViewerCertificate", .object([
                ("ACMCertificateArn", .string(arn)), ("SSLSupportMethod", "sni-only"), ("MinimumProtocolVersion", "TLSv1.2_2021"),
            ])))
        } else {
            config.append(("ViewerCertificate", .object([("CloudFrontDefaultCertificate", true)])))
        }
        return .object(config)
    }

    /// The bucket policy to attach with the API form (`aws s3api put-bucket-policy`), for distribution `arn`.
    public func bucketPolicy(distributionArn: String) -> JSONValue {
        .object([
            ("Version", "2012-10-17"),
            ("Statement", [.object([
                ("Sid", "AllowThisDistributionOnly"), ("Effect", "Allow"),
                ("Principal", .object([("Service", "cloudfront.amazonaws.com")])),
                ("Action", "s3:GetObject"), ("Resource", .string(objectArn)),
                ("Condition", .object([("StringEquals", .object([("AWS:SourceArn", .string(distributionArn))]))])),
            ])]),
        ])
    }
}
