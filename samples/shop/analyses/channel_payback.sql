-- Asked by finance: months of attributed revenue needed to pay back each channel's spend, by quarter.
select
    date_trunc('quarter', date) as quarter,
    channel,
    sum(spend) as spend,
    sum(attributed_revenue) as attributed_revenue,
    round(sum(spend) / nullif(sum(attributed_revenue), 0) * 3, 2) as payback_months
from {{ ref('marketing_daily') }}
group by 1, 2
order by 1, 2
