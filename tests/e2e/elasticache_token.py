"""elasticache_token.py - the ElastiCache IAM token botocore makes (RequestSigner, service elasticache,
GET http://CLUSTER/?Action=connect&User=USER, 900 s, scheme stripped) at a frozen time, for test_redis.py.

usage: elasticache_token.py AKID SECRET SESSION_TOKEN CLUSTER USER REGION EPOCH
"""
import sys, datetime
from unittest import mock
import botocore.session
from botocore.signers import RequestSigner
from botocore.model import ServiceId
from botocore.credentials import Credentials
akid, secret, token, cluster, user, region, epoch = sys.argv[1:8]
creds = Credentials(akid, secret, token or None)
sess = botocore.session.get_session()
signer = RequestSigner(ServiceId("elasticache"), region, "elasticache", "v4", creds, sess.get_component("event_emitter"))
from urllib.parse import urlencode
url = "http://%s/?%s" % (cluster, urlencode({"Action": "connect", "User": user}))
when = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).replace(tzinfo=None)
with mock.patch("botocore.auth.get_current_datetime", return_value=when):
    signed = signer.generate_presigned_url({"method": "GET", "url": url, "body": {}, "headers": {}, "context": {}},
                                           operation_name="connect", expires_in=900, region_name=region)
print(signed.split("://", 1)[1])
