import Foundation
import Testing
import TestSupport
@testable import Publish

@Suite struct CloudFrontTests {
    static let variants: [CloudFrontTemplate] = [
        CloudFrontTemplate(bucket: "my-videos"),
        CloudFrontTemplate(bucket: "my-videos", prefix: "vod/site", createBucket: true),
        CloudFrontTemplate(bucket: "my.videos", aliases: ["video.example.com", "v.example.com"],
                           certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666",
                           priceClass: "PriceClass_All"),
    ]

    func parse(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func templateHasTheRequiredPieces() throws {
        let t = try parse(CloudFrontTemplate(bucket: "my-videos", prefix: "vod").cloudFormation().rendered())
        let resources = try #require(t["Resources"] as? [String: Any])
        let dist = try #require(((resources["Distribution"] as? [String: Any])?["Properties"] as? [String: Any])?["DistributionConfig"] as? [String: Any])
        let behaviours = try #require(dist["CacheBehaviors"] as? [[String: Any]])
        #expect(behaviours.contains { $0["PathPattern"] as? String == "*.ism/*" && $0["SmoothStreaming"] as? Bool == true })
        #expect((dist["DefaultCacheBehavior"] as? [String: Any])?["ViewerProtocolPolicy"] as? String == "redirect-to-https")
        #expect(behaviours.allSatisfy { $0["ViewerProtocolPolicy"] as? String == "redirect-to-https" })
        let origin = try #require((dist["Origins"] as? [[String: Any]])?.first)
        #expect(origin["OriginPath"] as? String == "/vod")
        #expect(origin["OriginAccessControlId"] != nil)
        let policy = try #require(((resources["BucketPolicy"] as? [String: Any])?["Properties"] as? [String: Any])?["PolicyDocument"] as? [String: Any])
        let statement = try #require((policy["Statement"] as? [[String: Any]])?.first)
        #expect(statement["Resource"] as? String == "arn:aws:s3:::my-videos/vod/*")
        #expect((statement["Principal"] as? [String: Any])?["Service"] as? String == "cloudfront.amazonaws.com")
        let condition = "\(statement["Condition"] ?? "")"
        #expect(condition.contains("AWS:SourceArn") && condition.contains("${Distribution}"))
        #expect(resources["ResponseHeadersPolicy"] != nil && resources["CachePolicy"] != nil && resources["OriginAccessControl"] != nil)
        let created = try parse(CloudFrontTemplate(bucket: "b-b-b", createBucket: true).cloudFormation().rendered())
        #expect("\(created)".contains("RestrictPublicBuckets"))
        #expect(CloudFrontTemplate(bucket: "b").playbackURLForm(host: "d1.cloudfront.net")
            == "https://d1.cloudfront.net/<stem>/<version>/<stem>.ism/Manifest")
    }

    @Test func invalidCombinationsAreOneLineErrors() {
        #expect(throws: PublishError.self) { try CloudFrontTemplate(bucket: "b", aliases: ["a.example.com"]).validate() }
        #expect(throws: PublishError.self) { try CloudFrontTemplate(bucket: "bb", priceClass: "Cheap").validate() }
        #expect(throws: PublishError.self) {
            try CloudFrontTemplate(bucket: "bbb", aliases: ["a.example.com"], certificateArn: "arn:aws:acm:eu-west-1:1:certificate/x").validate()
        }
        #expect(throws: PublishError.self) { try CloudFrontTemplate(bucket: "Bad_Bucket").validate() }
    }

    /// cfn-lint (PyPI) accepts every variant of the template without errors or warnings.
    @Test func cfnLintAcceptsTheTemplates() throws {
        let probe = try External.run(["cfn-lint", "--version"])
        try #require(probe.status == 0, "cfn-lint is required (pip install cfn-lint): \(probe.stderr)")
        let dir = try TestPaths.temporaryDirectory("cfn")
        for (i, v) in Self.variants.enumerated() {
            try v.validate()
            let file = dir.appendingPathComponent("template-\(i).json")
            try v.cloudFormation().rendered().write(to: file, atomically: true, encoding: .utf8)
            let r = try External.run(["cfn-lint", "--format", "parseable", file.path])
            #expect(r.status == 0, "variant \(i): \(r.stdout)\(r.stderr)")
        }
    }

    /// botocore's parameter validation accepts the DistributionConfig of every variant, and rejects a broken one
    /// (so the check can fail).
    @Test func botocoreValidatesTheDistributionConfig() throws {
        let script = """
        import json, sys, botocore.session
        from botocore.validate import ParamValidator
        model = botocore.session.get_session().get_service_model('cloudfront')
        shape = model.operation_model('CreateDistribution').input_shape
        report = ParamValidator().validate({'DistributionConfig': json.load(open(sys.argv[1]))}, shape)
        if report.has_errors():
            print(report.generate_report()); sys.exit(1)
        """
        let dir = try TestPaths.temporaryDirectory("cf-api")
        let validator = dir.appendingPathComponent("validate.py")
        try script.write(to: validator, atomically: true, encoding: .utf8)
        for (i, v) in Self.variants.enumerated() where !v.createBucket {
            let file = dir.appendingPathComponent("config-\(i).json")
            try v.distributionConfig(originAccessControlId: "E2ABCDEF123456", callerReference: "test-\(i)", region: "eu-west-1")
                .rendered().write(to: file, atomically: true, encoding: .utf8)
            let r = try External.run(["python3", validator.path, file.path])
            #expect(r.status == 0, "variant \(i): \(r.stdout)\(r.stderr)")
            let config = try parse(String(contentsOf: file, encoding: .utf8))
            let items = ((config["CacheBehaviors"] as? [String: Any])?["Items"] as? [[String: Any]]) ?? []
            #expect(items.first?["SmoothStreaming"] as? Bool == true && items.first?["PathPattern"] as? String == "*.ism/*")
        }
        let broken = dir.appendingPathComponent("broken.json")
        try #"{"CallerReference": "x", "Enabled": "yes"}"#.write(to: broken, atomically: true, encoding: .utf8)
        #expect(try External.run(["python3", validator.path, broken.path]).status == 1)
    }
}
