-- One row per day and channel: what we spent, and the revenue of orders attributed to the channel.
with attributed as (

    select
        order_date,
        marketing_channel as channel,
        count(*) as attributed_orders,
        sum(amount) as attributed_revenue
    from {{ ref('orders') }}
    where is_revenue
    group by order_date, marketing_channel

)

select
    s.spend_date as date,
    s.channel,
    s.spend,
    s.impressions,
    s.clicks,
    coalesce(a.attributed_orders, 0) as attributed_orders,
    cast(coalesce(a.attributed_revenue, 0) as decimal(12, 2)) as attributed_revenue
from {{ ref('stg_marketing_spend') }} as s
left join attributed as a
    on a.order_date = s.spend_date
    and a.channel = s.channel
