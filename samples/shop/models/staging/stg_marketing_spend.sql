select
    cast(spend_date as date) as spend_date,
    channel,
    cast(spend as decimal(12, 2)) as spend,
    impressions,
    clicks
from {{ ref('raw_marketing_spend') }}
