import ArgumentParser
import Foundation
import Publish

struct CloudFrontCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloudfront",
        abstract: "Print a CloudFront distribution (CloudFormation template or DistributionConfig) for published presentations.",
        discussion: """
            The bucket stays private: an origin access control signs CloudFront's requests and the bucket policy
            lets only this distribution read. *.ism/* is served with SmoothStreaming enabled, HTTP redirects to
            HTTPS, a CORS response headers policy lets browser players in. Deploy the template with
              aws cloudformation deploy --stack-name smoothpack --template-file cloudfront.json
            and open https://<DistributionDomainName>/<stem>/<version>/<stem>.ism/Manifest.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case cloudformation
        case distributionConfig = "distribution-config"
    }

    @Option(help: "The bucket the presentations were published to.")
    var bucket: String

    @Option(help: "The PREFIX of --to s3://BUCKET/PREFIX (becomes the origin path).")
    var prefix = ""

    @Flag(help: "Create the (private, encrypted) bucket in the template too.")
    var createBucket = false

    @Option(parsing: .upToNextOption, help: "Alternate domain names (need --certificate-arn).")
    var aliases: [String] = []

    @Option(help: "ACM certificate ARN (us-east-1) for the aliases.")
    var certificateArn: String?

    @Option(help: "PriceClass_100, PriceClass_200 or PriceClass_All.")
    var priceClass = "PriceClass_100"

    @Option(help: "cloudformation (default) or distribution-config (the CreateDistribution API's JSON).")
    var format: Format = .cloudformation

    @Option(help: "distribution-config: the id of an existing origin access control.")
    var originAccessControlId = "REPLACE-WITH-ORIGIN-ACCESS-CONTROL-ID"

    @Option(help: "distribution-config: the bucket's region.")
    var region = "us-east-1"

    func run() throws {
        var prefix = self.prefix
        while prefix.hasPrefix("/") { prefix.removeFirst() }
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let template = CloudFrontTemplate(bucket: bucket, prefix: prefix, createBucket: createBucket, aliases: aliases,
                                          certificateArn: certificateArn, priceClass: priceClass)
        do { try template.validate() } catch {
            Console.error("smoothpack: \(error.message)")
            throw ExitCode(1)
        }
        switch format {
        case .cloudformation:
            print(template.cloudFormation().rendered(), terminator: "")
        case .distributionConfig:
            if createBucket {
                Console.error("smoothpack: --create-bucket needs --format cloudformation")
                throw ExitCode(1)
            }
            let reference = "smoothpack-\(bucket)-\(Int(Date().timeIntervalSince1970))"
            print(template.distributionConfig(originAccessControlId: originAccessControlId, callerReference: reference,
                                              region: region).rendered(), terminator: "")
            Console.error("Bucket policy (aws s3api put-bucket-policy), with your distribution's ARN:\n"
                          + template.bucketPolicy(distributionArn: "arn:aws:cloudfront::ACCOUNT:distribution/ID").rendered())
        }
        let smooth = template.playbackURLForm(host: "<distribution domain name>")
        let base = smooth.dropLast(".ism/Manifest".count)
        // Smooth Streaming is on only for *.ism/*; the MPD, the playlists and the byte ranges of the media files
        // they name go through the default behaviour (no Smooth Streaming, Range and CORS as for any object).
        Console.error("Playback URL: \(smooth)  (DASH: \(base).mpd, HLS: \(base).m3u8)")
    }
}
