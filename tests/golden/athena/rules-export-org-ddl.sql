-- trailguard rules as Athena SQL (engine v3) for the standard CloudTrail table.

CREATE EXTERNAL TABLE IF NOT EXISTS security.trail (
    eventversion STRING,
    useridentity STRUCT<
        type: STRING, principalid: STRING, arn: STRING, accountid: STRING,
        invokedby: STRING, accesskeyid: STRING, username: STRING,
        sessioncontext: STRUCT<
            attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
            sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING,
                                  accountid: STRING, username: STRING>,
            ec2roledelivery: STRING,
            webidfederationdata: MAP<STRING, STRING>>>,
    eventtime STRING, eventsource STRING, eventname STRING, awsregion STRING,
    sourceipaddress STRING, useragent STRING, errorcode STRING, errormessage STRING,
    requestparameters STRING, responseelements STRING, additionaleventdata STRING,
    requestid STRING, eventid STRING, readonly STRING,
    resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
    eventtype STRING, apiversion STRING, recipientaccountid STRING,
    serviceeventdetails STRING, sharedeventid STRING, vpcendpointid STRING,
    tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>
)
PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://org-trail/AWSLogs/o-abc123/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.timestamp.format' = 'yyyy/MM/dd',
  'projection.timestamp.interval' = '1',
  'projection.timestamp.interval.unit' = 'DAYS',
  'projection.timestamp.range' = '2020/01/01,NOW',
  'projection.timestamp.type' = 'date',
  'projection.account.type' = 'enum',
  'projection.account.values' = '111122223333',
  'projection.region.type' = 'enum',
  'projection.region.values' = 'us-east-1,eu-west-1',
  'storage.location.template' = 's3://org-trail/AWSLogs/o-abc123/${account}/CloudTrail/${region}/${timestamp}'
);

-- console-login-root: Root user console sign-in
-- severity: high; match: eventbridge
SELECT *
FROM security.trail
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS Console Sign In via CloudTrail'
  AND eventname = 'ConsoleLogin'
  AND eventsource = 'signin.amazonaws.com'
  AND useridentity.type = 'Root'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.signin';
